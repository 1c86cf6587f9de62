"""The complaint form with the keyboard only, in a real browser (WCAG 2.1.1, 2.4.3, 4.1.2, 3.3.1).

Nothing is clicked: Tab and Shift+Tab move, typing fills, Space and the arrow
keys choose, Enter submits. Every control the keyboard reaches on step 1 and
step 2 of /complaints/new must have an accessible name, every control of the
form must be reachable, and a submission with errors must be announced: the
error summary is an alert and takes the focus.
"""

import re

import pytest

from tests.browser.conftest import wait_until_the_form_may_be_sent
from tests.browser.playwright_expect import expect
from portal.testing.live_server import YOUTH_FOUNDATION

pytestmark = pytest.mark.browser

#: More Tab presses than any page of the complaint form needs to go round once.
MAX_TABS = 80

#: What the focused element is: its id, tag, type, name and accessible name (label,
#: aria-label, aria-labelledby, or its own text for links and buttons).
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const text = (node) => (node ? node.textContent.replace(/\\s+/g, " ").trim() : "");
  let name = (el.getAttribute("aria-label") || "").trim();
  if (!name && el.getAttribute("aria-labelledby")) {
    name = el.getAttribute("aria-labelledby").split(/\\s+/).map((id) => text(document.getElementById(id))).join(" ").trim();
  }
  if (!name && el.labels && el.labels.length) name = Array.from(el.labels).map(text).join(" ").trim();
  if (!name && ["A", "BUTTON", "SUMMARY"].includes(el.tagName)) name = text(el);
  if (!name && el.tagName === "INPUT" && ["submit", "button"].includes(el.type)) name = el.value.trim();
  if (!name) name = (el.getAttribute("title") || "").trim();
  return {
    id: el.id, tag: el.tagName.toLowerCase(), type: el.type || "", name: el.getAttribute("name") || "",
    label: name, role: el.getAttribute("role") || "", inForm: !!el.closest("form.complaint-form"),
    checked: !!el.checked, html: el.outerHTML.slice(0, 160),
    step: el.form && el.form.querySelector("input[name=step]") ? el.form.querySelector("input[name=step]").value : "",
  };
}"""


def focused(page):
    return page.evaluate(FOCUSED)


def tab_until(page, matches, visited, key="Tab"):
    """Press ``key`` until the focused element ``matches``; record every element passed in ``visited``."""
    for _ in range(MAX_TABS):
        page.keyboard.press(key)
        element = focused(page)
        if element is None:
            continue
        visited.append(element)
        assert element["label"], f"the keyboard reaches a control without an accessible name: {element['html']}"
        if matches(element):
            return element
    raise AssertionError(f"{key} never reached the control; focus went through {[e['html'] for e in visited[-10:]]}")


def by_id(identifier):
    return lambda element: element["id"] == identifier


def form_submit(element):
    return element["inForm"] and element["tag"] == "button" and element["type"] == "submit"


def details_submit(element):
    return form_submit(element) and element["step"] == "details"


def check_error_summary(page, javascript):
    """The error summary is announced: an alert (and, with JavaScript, it takes the focus), linking to the fields."""
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_have_attribute("role", "alert")
    if javascript:
        assert page.evaluate("() => !!document.activeElement.closest('.error-summary')"), (
            f"the focus must move to the error summary, not {focused(page)}"
        )
    else:
        # Without scripts nothing can move the focus: role=alert makes screen readers read it out.
        # It is the first thing of the form, so the next Tab starts from there.
        expect(summary).to_have_attribute("tabindex", "-1")
    links = summary.locator("a[href^='#']")
    assert links.count() >= 1, summary.inner_text()
    for href in links.evaluate_all("links => links.map(link => link.getAttribute('href').slice(1))"):
        field = page.locator(f"[id='{href}']")
        expect(field).to_have_count(1)


def test_complaint_form_with_the_keyboard_only(any_page, request, youth_foundation, live_server):
    page = any_page
    javascript = request.node.callspec.params["any_page"] == "javascript"
    uscc = youth_foundation[0]
    page.goto("/complaints/new")
    visited = []

    # Step 1, submitted empty from the keyboard: the error summary is announced.
    tab_until(page, form_submit, visited)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    check_error_summary(page, javascript)
    expect(page.locator("#organisation_name")).to_be_visible()

    # Step 1 again, every control in turn.
    visited = []
    tab_until(page, by_id("organisation_name"), visited)
    page.keyboard.type(YOUTH_FOUNDATION)
    if page.locator("[role=listbox]:visible").count():
        # The suggestions (with JavaScript) close with Escape and leave the typed text.
        page.keyboard.press("Escape")
    tab_until(page, by_id("uscc"), visited)
    page.keyboard.type(uscc)
    first = tab_until(page, lambda element: element["type"] == "radio", visited)
    assert first["name"] == "category"
    page.keyboard.press("Space")
    categories = [first]
    for _ in range(5):
        page.keyboard.press("ArrowDown")
        categories.append(focused(page))
    assert all(element["label"] for element in categories)
    assert len({element["id"] for element in categories}) == 6, "every kind of problem is reachable"
    assert categories[-1]["checked"] and categories[-1]["id"] == "category-other"
    # Shift+Tab goes back out of the group to the code, Tab comes back to the chosen kind.
    page.keyboard.press("Shift+Tab")
    assert focused(page)["id"] == "uscc"
    page.keyboard.press("Tab")
    assert focused(page)["id"] == "category-other"
    tab_until(page, form_submit, visited)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator(".error-summary")).to_have_count(0)
    expect(page.locator("form.complaint-form input[name=step][value=details]")).to_be_attached()

    # Step 2: every control of the form is reached, in order, each with a name.
    visited = []
    tab_until(page, details_submit, visited)
    reached = {element["id"] for element in visited if element["inForm"]}
    controls = page.locator(
        "form.complaint-form:has(input[name=step][value=details]) :is(input, textarea, select, button)"
        ":not([type=hidden]):not([tabindex='-1'])"
    ).evaluate_all("elements => elements.map(element => element.id).filter(Boolean)")
    radios_checked_only = {
        identifier
        for identifier in controls
        if page.locator(f"[id='{identifier}']").get_attribute("type") == "radio"
        and not page.locator(f"[id='{identifier}']").is_checked()
    }
    missing = set(controls) - reached - radios_checked_only
    assert not missing, f"the keyboard never reaches {missing}"
    trap = page.locator("form.complaint-form input[tabindex='-1']")
    if trap.count():
        assert trap.first.get_attribute("id") not in reached, "the spam trap must stay out of the tab order"

    # Shift+Tab from the submit button goes back to the consent box (or its link).
    page.keyboard.press("Shift+Tab")
    back = focused(page)
    assert back["label"] and back["inForm"]
    page.keyboard.press("Tab")
    assert details_submit(focused(page))

    # Submitted with no description and no consent: the errors are announced. (A form sent
    # within COMPLAINT_MIN_FILL_SECONDS of being issued is refused as too fast before its
    # fields are checked: a person takes longer, so wait until the form is that old.)
    wait_until_the_form_may_be_sent(page, live_server)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    check_error_summary(page, javascript)
    description = page.locator("#description")
    expect(description).to_have_attribute("aria-invalid", "true")
    described = description.get_attribute("aria-describedby").split()
    assert any(identifier.startswith("description-error") for identifier in described)
    if not javascript:
        return
    # From the summary, Tab then Enter on its first link takes the keyboard to the field in error.
    page.keyboard.press("Tab")
    link = focused(page)
    assert link["tag"] == "a" and link["label"]
    page.keyboard.press("Enter")
    target = page.locator(".error-summary a").first.get_attribute("href")[1:]
    # Playwright's assertions wait (up to the default timeout) for the focus and the address to follow.
    expect(page.locator(f"[id='{target}']")).to_be_focused()
    expect(page).to_have_url(re.compile(rf"#{re.escape(target)}$"))
