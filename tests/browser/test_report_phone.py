"""The credit report on a 375 px phone: the sum on top, the dimensions and the ledger as stacked cards."""

import pytest

from tests.browser.playwright_expect import expect

pytestmark = pytest.mark.browser


def organisation_with_items(page):
    """Return the code of a published organisation whose report lists current items."""
    listing = page.request.get("/api/v1/organisations?limit=60&sort=score_asc").json()
    for summary in listing["organisations"]:
        body = page.request.get(f"/api/v1/organisations/{summary['uscc']}").json()["organisation"]
        if len(body["current_events"]) >= 2:
            return summary["uscc"], body
    pytest.fail("no published organisation of the demo has two current items")


def test_the_ledger_reads_as_stacked_cards_on_a_phone(phone_page):
    page = phone_page
    uscc, body = organisation_with_items(page)
    page.goto(f"/org/{uscc}")
    # Nothing is wider than the screen: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    score_sum = page.locator("#score-sum")
    expect(score_sum).to_be_visible()
    expect(score_sum).to_contain_text("基础分")
    expect(score_sum).to_contain_text(f"{body['credit']['score']:.2f}")

    cards = page.locator(".breakdown-card")
    assert cards.count() == len(body["credit"]["breakdown"]["dimensions"])
    first, second = cards.nth(0).bounding_box(), cards.nth(1).bounding_box()
    assert first["x"] == second["x"] and second["y"] >= first["y"] + first["height"]  # one above the other

    rows = page.locator("#current-items-caption").locator("xpath=..").locator("tbody tr")
    assert rows.count() == len(body["current_events"])
    row = rows.nth(0)
    assert row.evaluate("r => getComputedStyle(r).display") == "block"
    cells = row.locator("th, td")
    boxes = [cells.nth(i).bounding_box() for i in range(cells.count())]
    visible = [box for box in boxes if box and box["height"] > 0]
    # Each cell on a line of its own, full width, labelled by its column.
    assert all(box["x"] == visible[0]["x"] for box in visible)
    assert all(later["y"] >= earlier["y"] + earlier["height"] - 1 for earlier, later in zip(visible, visible[1:]))
    assert all(box["width"] > 300 for box in visible)
    label = row.locator("td[data-label]").first.evaluate("td => getComputedStyle(td, '::before').content")
    assert "分值" in label
    expect(row.locator("td[data-label='公示截止']")).to_be_visible()

    expect(page.locator("#glossary")).to_contain_text("信用修复")
