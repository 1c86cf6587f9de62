"""The credit report's schema.org Organization (JSON-LD), read by a JSON-LD processor (pyld), without the network."""

import json
import re
from datetime import datetime

import pytest

from tests.conftest import has_inline_script
from tests.jsonld_documents import expanded, n_quads
from tests.synced_portal import ScoringOrganisation, sync_at

SCHEMA = "http://schema.org/"
PUBLISHED = ScoringOrganisation(1, "北京市朝阳区青少年发展基金会", "foundation", "110105", "A", "96.50", 4)
C_GRADE = ScoringOrganisation(6, "北京市丰台区丙级测试协会", "social_group", "110106", "C", "70.00", None)
CANCELLED = ScoringOrganisation(8, "北京市石景山区注销测试协会", "social_group", "110107", "A", "99.00", 5, "cancelled")
ADDRESS = "北京市朝阳区潘家园街道华威里1号"
NIGHT = datetime(2026, 11, 2, 18, 30)
JSON_LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.DOTALL)


@pytest.fixture
def portal(app, scoring, monkeypatch):
    PUBLISHED.write(scoring, address=ADDRESS, former_names=["北京市朝阳区少年发展基金会"])
    C_GRADE.write(scoring, address="北京市丰台区某路1号")
    CANCELLED.write(scoring, address="北京市石景山区某路2号")
    sync_at(app, monkeypatch, NIGHT)
    return app


def json_ld_of(body):
    blocks = JSON_LD.findall(body)
    assert len(blocks) == 1, blocks
    return json.loads(blocks[0])


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_report_describes_its_organisation_in_schema_org(client, portal, language):
    response = client.get(f"/org/{PUBLISHED.uscc}", query_string={"lang": language})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    document = json_ld_of(body)
    organisation = expanded(document)[0]
    report = f"http://localhost/org/{PUBLISHED.uscc}"
    assert organisation["@id"] == report + "#organization"
    assert organisation["@type"] == [SCHEMA + "Organization"]
    assert organisation[SCHEMA + "name"] == [{"@value": PUBLISHED.name}]
    identifier = organisation[SCHEMA + "identifier"][0]
    assert identifier[SCHEMA + "value"] == [{"@value": PUBLISHED.uscc}]
    assert identifier[SCHEMA + "propertyID"] == [{"@value": "USCC"}]
    address = organisation[SCHEMA + "address"][0]
    assert address["@type"] == [SCHEMA + "PostalAddress"]
    assert address[SCHEMA + "streetAddress"] == [{"@value": ADDRESS}]
    assert organisation[SCHEMA + "alternateName"] == [{"@value": "北京市朝阳区少年发展基金会"}]
    # The link to the credit report, as an address (not a text), in both languages the same.
    assert organisation[SCHEMA + "mainEntityOfPage"] == [{"@id": report}]
    credit_report = organisation[SCHEMA + "subjectOf"][0]
    assert credit_report["@type"] == [SCHEMA + "Report"] and credit_report[SCHEMA + "url"] == [{"@id": report}]
    quads = n_quads(document)
    assert f'<{report}#organization> <{SCHEMA}name> "{PUBLISHED.name}" .' in quads
    # A data block: the Content Security Policy still allows no inline script, and the page has none.
    assert not has_inline_script(body)
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("hidden", [C_GRADE, CANCELLED], ids=["c_grade", "cancelled"])
def test_an_unpublished_code_has_no_organisation_data(client, portal, hidden):
    response = client.get(f"/org/{hidden.uscc}")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "application/ld+json" not in body and hidden.name not in body


def test_the_inline_script_check_lets_only_json_ld_through():
    assert not has_inline_script('<script type="application/ld+json">{"@type": "Organization"}</script>')
    assert not has_inline_script('<script src="/static/js/autocomplete.js" defer></script>')
    for script in ("<script>alert(1)</script>", '<script type="text/javascript">x</script>',
                   '<script type="module">x</script>', '<script data-type="application/ld+json">x</script>',
                   '<script type="application/ld+jsonp">x</script>'):
        assert has_inline_script(script), script
