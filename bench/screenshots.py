"""Take the screenshots in docs/screenshots/ from the portal as deployed, with demo data.

    .venv/bin/python bench/screenshots.py
    .venv/bin/python bench/screenshots.py --out /tmp/shots --full-page

Starts the same live server as the browser tests (``portal/testing/live_server.py``:
600 demo organisations, ``flask sync run``, gunicorn with gunicorn.conf.py on
a loopback port) and photographs in Debian's chromium, on a desktop (1280×900)
and a phone (375×812), in Chinese and in English: the home page, search results,
an organisation's credit report (and its charts), 长辈版 (large text: the home
page and the report) and the complaint form. Needs ``fonts-noto-cjk`` for the
Chinese glyphs. The PNGs are the visible viewport unless ``--full-page`` is
given, reduced to a 64-colour palette so that they stay small enough to commit.
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from portal.testing.live_server import YOUTH_FOUNDATION, LiveServer, chromium_path, launch_chromium  # noqa: E402

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 812}}
#: Colours kept in each PNG: text and the few colours of the design survive, the size falls by 3 to 5.
PALETTE_COLOURS = 64


def shots(uscc):
    """Return (file name, path, element scrolled to the top or None, what it shows, viewport) for each screenshot."""
    pages = [
        ("home", "/?large=0", None, "home page"),
        ("search", "/search?q=%E9%9D%92%E5%B0%91%E5%B9%B4&large=0", None, "search results for 青少年"),
        ("report", f"/org/{uscc}?large=0", None, "credit report"),
        ("report-charts", f"/org/{uscc}?large=0", "#dimensions", "credit report's charts"),
        ("large-text-home", "/?large=1", None, "长辈版 (large text), home page"),
        ("large-text-report", f"/org/{uscc}?large=1", None, "长辈版 (large text), credit report"),
        ("complaint-form", f"/complaints/new?uscc={uscc}&large=0", None, "complaint form"),
        ("site-error-form", "/site-error?page=/orgs&large=0", None, "我为政府网站找错 form"),
    ]
    return [
        (f"{name}-{device}-{language}.png", f"{path}&lang={language}", anchor, f"{what}, {device}, {language}", device)
        for name, path, anchor, what in pages
        for device in VIEWPORTS
        for language in ("zh", "en")
        if not (name == "report-charts" and device == "phone")
    ]


def shrink(target):
    """Reduce a PNG to a small palette (lossy in colour only), so that committed screenshots stay small."""
    from PIL import Image

    with Image.open(target) as image:
        reduced = image.convert("RGB").quantize(colors=PALETTE_COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    reduced.save(target, optimize=True)


def take(base_url, uscc, out, full_page):
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        contexts = {
            device: browser.new_context(base_url=base_url, viewport=viewport, locale="zh-CN", is_mobile=device == "phone")
            for device, viewport in VIEWPORTS.items()
        }
        pages = {device: context.new_page() for device, context in contexts.items()}
        for name, path, anchor, what, device in shots(uscc):
            page = pages[device]
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
            shrink(target)
            print(f"{target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}: "
                  f"{what}, {target.stat().st_size // 1024} KiB")
        for context in contexts.values():
            context.close()
        browser.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--orgs", type=int, default=600, help="demo organisations (default 600)")
    parser.add_argument("--full-page", action="store_true", help="the whole page, not the viewport")
    arguments = parser.parse_args()
    if chromium_path() is None:
        sys.exit("chromium is not installed: apt-get install chromium fonts-noto-cjk")
    with LiveServer(orgs=arguments.orgs, seed=1, workers=2, access_log=False) as server:
        uscc, _grade = server.published_organisation(YOUTH_FOUNDATION)
        take(server.base_url, uscc, arguments.out, arguments.full_page)


if __name__ == "__main__":
    main()
