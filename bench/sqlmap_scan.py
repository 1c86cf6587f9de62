"""SQL injection scan with sqlmap (PyPI's sqlmap), on loopback only, of every endpoint that takes input.

    .venv/bin/python bench/sqlmap_scan.py                 # level 2, risk 1, every target
    .venv/bin/python bench/sqlmap_scan.py --level 1 --only search

Starts the portal as deployed (gunicorn, demo data of 600 organisations, see
portal/testing/live_server.py) on a free 127.0.0.1 port, with rate limits off for
the scan, then runs ``sqlmap --batch`` against each target and prints, per
target, whether sqlmap found an injectable parameter. Exits 1 if it did.
Results go into docs/security.md.
"""

import argparse
from datetime import date
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from portal.testing.live_server import YOUTH_FOUNDATION, LiveServer  # noqa: E402


class ScanServer(LiveServer):
    def environment(self):
        env = super().environment()
        env["RATELIMIT_ENABLED"] = "false"
        return env


def targets(uscc):
    """Return {name: sqlmap arguments}: GET query strings, path segments (marked *) and forms."""
    return {
        "search": ["-u", f"/search?q={quote('基金会')}&grade=A&type=foundation&district=110105&sort=score&page=1"],
        "suggest": ["-u", f"/search/suggest?q={quote('青少年')}"],
        "list": ["-u", "/orgs?grade=A&type=foundation&district=110105&evaluation=5&sort=score_desc&page=1"],
        "changes": ["-u", "/changes?since=2026-01-01&type=entry&page=1"],
        "report": ["-u", f"/org/{uscc}*"],
        "report-as-of": ["-u", f"/org/{uscc}?as_of={date.today().isoformat()}", "--ignore-code=404"],
        "api-organisations": ["-u", "/api/v1/organisations?grade=A&type=foundation&district=110105&limit=20"],
        "api-organisation": ["-u", f"/api/v1/organisations/{uscc}*"],
        "api-search": ["-u", f"/api/v1/search?q={quote('基金会')}&grade=A"],
        "api-changes": ["-u", "/api/v1/changes?since=2026-01-01"],
        "verify": ["-u", "/verify/R-20261101-ABCDEFGH*"],
        "complaint-status": [
            "-u", "/complaints/status", "--data", "csrf_token=x&tracking_number=TS-20261101-0001&access_code=ABCD-EFGH-JKLM-NPQR",
            "--csrf-token", "csrf_token", "--csrf-url", "/complaints/status", "--ignore-code=404",
        ],
        "staff-login": [
            "-u", "/staff/login", "--data", "csrf_token=x&username=admin&password=secret",
            "--csrf-token", "csrf_token", "--csrf-url", "/staff/login", "--ignore-code=401",
        ],
    }


def available(base_url, arguments):
    import urllib.error
    import urllib.request

    url = base_url + arguments[1].replace("*", "")
    try:
        with urllib.request.urlopen(url, timeout=10):
            return True
    except urllib.error.HTTPError:
        return True  # an error page is still the endpoint answering
    except OSError:
        return False


def scan(base_url, name, arguments, level, risk, output_dir):
    arguments = list(arguments)
    for position, value in enumerate(arguments):
        if value in ("-u", "--csrf-url") and position + 1 < len(arguments):
            arguments[position + 1] = base_url + arguments[position + 1]
    command = [
        str(ROOT / ".venv" / "bin" / "sqlmap"), "--batch", f"--level={level}", f"--risk={risk}",
        "--timeout=15", "--retries=1", "--disable-coloring", "--flush-session",
        f"--output-dir={output_dir}", "--skip-waf", *arguments,
    ]
    if "--csrf-token" not in arguments:  # sqlmap refuses threads with a CSRF token
        command.insert(4, "--threads=2")
    started = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, timeout=1800)
    seconds = time.perf_counter() - started
    output = completed.stdout
    injectable = re.findall(r"parameter '([^']+)' (?:is|might be) (?:vulnerable|injectable)", output, re.I)
    clean = "do not appear to be injectable" in output or "all tested parameters do not appear" in output
    return injectable, clean, seconds, output


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--level", type=int, default=2)
    parser.add_argument("--risk", type=int, default=1)
    parser.add_argument("--only", help="comma-separated target names")
    arguments = parser.parse_args()
    output_dir = tempfile.mkdtemp(prefix="sqlmap-")
    found = []
    with ScanServer(orgs=600, seed=1, workers=2, access_log=False, log=lambda message: None) as server:
        uscc, _ = server.published_organisation(YOUTH_FOUNDATION)
        chosen = targets(uscc)
        if arguments.only:
            chosen = {name: chosen[name] for name in arguments.only.split(",")}
        print(f"sqlmap --level={arguments.level} --risk={arguments.risk} against {server.base_url}")
        for name, target in chosen.items():
            if not available(server.base_url, target):
                print(f"{name:<20} skipped: not served")
                continue
            injectable, clean, seconds, output = scan(server.base_url, name, target, arguments.level,
                                                      arguments.risk, output_dir)
            verdict = f"INJECTABLE: {', '.join(sorted(set(injectable)))}" if injectable else (
                "nothing injectable" if clean else "no verdict (see output)")
            print(f"{name:<20} {seconds:6.0f} s  {verdict}", flush=True)
            if injectable:
                found.append(name)
                print(output[-3000:])
            elif not clean:
                print("\n".join(output.splitlines()[-15:]))
    if found:
        sys.exit(f"injectable: {', '.join(found)}")


if __name__ == "__main__":
    main()
