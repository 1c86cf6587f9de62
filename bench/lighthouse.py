"""Lighthouse scores of the public pages, for docs/accessibility.md.

    (cd bench/lighthouse && npm ci --no-audit --no-fund --ignore-scripts)
    .venv/bin/python bench/lighthouse.py [--runs 1] [--json results.json]

Starts the same live server as the browser tests (``portal/testing/live_server.py``:
600 demo organisations, ``flask sync run``, gunicorn with gunicorn.conf.py on a
loopback port) and runs Lighthouse 12.2.3 (npm, pinned in
bench/lighthouse/package.json: 13 needs Node 22) against Debian's chromium, on
the home page, search results, a credit report and 长辈版 (large text), in
Chinese and in English, with Lighthouse's mobile emulation (a mid-range phone
on a throttled 4G link, simulated) and its desktop preset. It prints the
accessibility, best-practices, SEO and performance scores of each, the goals
(95, 95, 95 and a mobile performance of 90) and a verdict. Performance depends on
the machine: on a loaded machine it is lower, so say how loaded it was.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from portal.testing.live_server import YOUTH_FOUNDATION, LiveServer, chromium_path  # noqa: E402

LIGHTHOUSE = ROOT / "bench" / "lighthouse" / "node_modules" / "lighthouse" / "cli" / "index.js"
CATEGORIES = ("accessibility", "best-practices", "seo", "performance")
GOALS = {"accessibility": 95, "best-practices": 95, "seo": 95, "performance": 90}


def pages(uscc):
    """Return (name, path) of each page audited, in both languages."""
    return [
        (f"{name} ({language})", f"{path}{'&' if '?' in path else '?'}lang={language}")
        for name, path in [
            ("home", "/?large=0"),
            ("search", "/search?q=%E9%9D%92%E5%B0%91%E5%B9%B4"),
            ("report", f"/org/{uscc}?large=0"),
            ("长辈版 home", "/?large=1"),
            ("长辈版 report", f"/org/{uscc}?large=1"),
        ]
        for language in ("zh", "en")
    ]


def lighthouse(url, preset, folder):
    """Run Lighthouse once on ``url`` with ``preset`` (mobile or desktop); return {category: score 0-100}."""
    output = folder / "report.json"
    command = [
        "node", str(LIGHTHOUSE), url,
        f"--chrome-path={chromium_path()}",
        "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
        f"--only-categories={','.join(CATEGORIES)}",
        "--output=json", f"--output-path={output}", "--quiet",
    ]
    if preset == "desktop":
        command.append("--preset=desktop")
    subprocess.run(command, check=True, timeout=300, env={**os.environ, "CHROME_PATH": chromium_path()})
    report = json.loads(output.read_text())
    return {category: round(report["categories"][category]["score"] * 100) for category in CATEGORIES}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orgs", type=int, default=600)
    parser.add_argument("--json", type=Path, help="also write the scores here")
    arguments = parser.parse_args()
    if not LIGHTHOUSE.exists():
        sys.exit("Lighthouse is not installed: (cd bench/lighthouse && npm ci --no-audit --no-fund --ignore-scripts)")
    if chromium_path() is None:
        sys.exit("chromium is not installed: apt-get install chromium fonts-noto-cjk")
    load = os.getloadavg()
    print(f"load average before the run: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} cores")
    results = {}
    with LiveServer(orgs=arguments.orgs, seed=1, workers=2, access_log=False) as server, \
            tempfile.TemporaryDirectory() as folder:
        uscc, _grade = server.published_organisation(YOUTH_FOUNDATION)
        print(f"{'page':<22} {'preset':<8} " + " ".join(f"{category:>15}" for category in CATEGORIES))
        for name, path in pages(uscc):
            for preset in ("mobile", "desktop"):
                scores = lighthouse(server.base_url + path, preset, Path(folder))
                results[f"{name} {preset}"] = scores
                print(f"{name:<22} {preset:<8} " + " ".join(f"{scores[category]:>15}" for category in CATEGORIES),
                      flush=True)
    failing = [
        f"{page} {category} {score} < {GOALS[category]}"
        for page, scores in results.items()
        for category, score in scores.items()
        if score < GOALS[category] and (category != "performance" or page.endswith("mobile"))
    ]
    print(f"goals: accessibility, best-practices and SEO >= 95; mobile performance >= 90")
    print("verdict: " + ("all goals met" if not failing else "below the goals: " + "; ".join(failing)))
    if arguments.json:
        arguments.json.write_text(json.dumps(results, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
