"""Take the screenshots in docs/screenshots/ from the portal as deployed, with demo data.

    .venv/bin/python bench/screenshots.py
    .venv/bin/python bench/screenshots.py --out /tmp/shots --full-page

Starts the same live server as the browser tests (``portal/testing/live_server.py``:
600 demo organisations, ``flask sync run``, gunicorn with gunicorn.conf.py on
a loopback port) and photographs, at 1280×900 in Debian's chromium: the home
page (Chinese), search results (Chinese), and one organisation's credit
report in Chinese (its top, and its charts) and in English. Needs ``fonts-noto-cjk`` for the Chinese
glyphs. The PNGs are the visible viewport unless ``--full-page`` is given,
which keeps them small enough to commit.
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from portal.testing.live_server import YOUTH_FOUNDATION, LiveServer, chromium_path, launch_chromium  # noqa: E402

VIEWPORT = {"width": 1280, "height": 900}


def shots(uscc):
    """Return (file name, path, element scrolled to the top or None, what it shows) for each screenshot."""
    return [
        ("home-zh.png", "/?lang=zh", None, "home page"),
        ("search-zh.png", "/search?q=%E9%9D%92%E5%B0%91%E5%B9%B4&lang=zh", None, "search results for 青少年"),
        ("report-zh.png", f"/org/{uscc}?lang=zh", None, "credit report, Chinese"),
        ("report-charts-zh.png", f"/org/{uscc}?lang=zh", "#dimensions", "credit report's charts, Chinese"),
        ("report-en.png", f"/org/{uscc}?lang=en", None, "credit report, English"),
    ]


def take(base_url, uscc, out, full_page):
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = browser.new_context(base_url=base_url, viewport=VIEWPORT, locale="zh-CN")
        page = context.new_page()
        for name, path, anchor, what in shots(uscc):
            response = page.goto(path)
            if response is None or response.status != 200:
                status = response.status if response else "no response"
                print(f"skipped {name}: {path} answered {status} ({what})")
                continue
            # Web fonts are local (fonts-noto-cjk); wait until every glyph is laid out.
            page.evaluate("document.fonts.ready.then(() => true)")
            if anchor:
                page.evaluate("selector => document.querySelector(selector).scrollIntoView()", anchor)
            target = out / name
            page.screenshot(path=str(target), full_page=full_page, animations="disabled", caret="hide")
            print(f"{target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}: "
                  f"{what}, {target.stat().st_size // 1024} KiB")
        context.close()
        browser.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--orgs", type=int, default=600, help="demo organisations (default 600)")
    parser.add_argument("--full-page", action="store_true", help="the whole page, not the 1280×900 viewport")
    arguments = parser.parse_args()
    if chromium_path() is None:
        sys.exit("chromium is not installed: apt-get install chromium fonts-noto-cjk")
    with LiveServer(orgs=arguments.orgs, seed=1, workers=2, access_log=False) as server:
        uscc, _grade = server.published_organisation(YOUTH_FOUNDATION)
        take(server.base_url, uscc, arguments.out, arguments.full_page)


if __name__ == "__main__":
    main()
