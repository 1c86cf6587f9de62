"""The credit report's JSON-LD in a real browser: data the page carries, under a CSP that allows no inline script.

Chromium reports a script that the Content Security Policy blocks on the
console; a JSON-LD data block is not run, so it reports nothing, and the
page's own script reads the data as any harvester would.
"""

import json

import pytest

pytestmark = pytest.mark.browser


def test_the_report_carries_its_organisation_without_a_csp_violation(page, youth_foundation):
    uscc = youth_foundation[0]
    messages = []
    page.on("console", lambda message: messages.append(message.text))
    response = page.goto(f"/org/{uscc}")
    assert response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    text = page.locator('script[type="application/ld+json"]').text_content()
    organisation = json.loads(text)
    assert organisation["@type"] == "Organization" and organisation["identifier"]["value"] == uscc
    assert organisation["subjectOf"]["url"].endswith(f"/org/{uscc}")
    page.wait_for_load_state("load")
    assert not [message for message in messages if "Content Security Policy" in message], messages
    assert not page.browsing_errors, page.browsing_errors
