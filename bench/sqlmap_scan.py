"""SQL injection scan with sqlmap (PyPI's sqlmap), on loopback only, of every endpoint that takes input.

    .venv/bin/python bench/sqlmap_scan.py                 # level 2, risk 1, every target
    .venv/bin/python bench/sqlmap_scan.py --level 1 --only search

Starts the portal as deployed (gunicorn, demo data of 600 organisations, see
portal/testing/live_server.py) on a free 127.0.0.1 port, with rate limits off for
the scan, then runs ``sqlmap --batch`` against each target and prints, per
target, whether sqlmap found an injectable parameter. Every endpoint that takes
input is a target: the public GET pages and the API, the complaint forms
(POST /complaints/new and its organisation lookup), the batch check (a CSV
upload to /batch, and POST /api/v1/batch-check as JSON), the staff sign-in,
and the staff forms and filters with a signed-in supervisor's session.
Exits 1 if any target is injectable, not served, or gets no verdict from
sqlmap ("no verdict" is a failure: the target was not tested).
Results go into docs/security.md.
"""

import argparse
import json
import re
import uuid
from datetime import date
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.verdict import Goals  # noqa: E402
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
        "complaint-new": [
            "-u", "/complaints/new", "--data",
            f"csrf_token=x&form_token=&uscc={uscc}&organisation_name={quote(YOUTH_FOUNDATION)}&category=other",
            "--csrf-token", "csrf_token", "--csrf-url", "/complaints/new", "--ignore-code=400",
        ],
        "complaint-organisations": [
            "-u", "/complaints/organisations", "--data", f"csrf_token=x&q={quote('青少年')}",
            "--csrf-token", "csrf_token", "--csrf-url", "/complaints/new", "--ignore-code=400",
        ],
        "api-batch-check": [
            "-u", "/api/v1/batch-check", "--data", json.dumps({"values": [uscc, YOUTH_FOUNDATION]}, ensure_ascii=False),
            "--headers", "Content-Type: application/json", "--ignore-code=400",
        ],
        "reconcile": [
            "-u", "/api/reconcile", "--data",
            "queries=" + quote(json.dumps({"q0": {"query": YOUTH_FOUNDATION, "type": "foundation", "limit": 3}},
                                          ensure_ascii=False)),
            "--ignore-code=400",
        ],
        "reconcile-extend": [
            "-u", "/api/reconcile", "--data",
            "extend=" + quote(json.dumps({"ids": [uscc], "properties": [{"id": "grade"}]})), "--ignore-code=400",
        ],
        "reconcile-preview": ["-u", f"/api/reconcile/preview?id={uscc}", "--ignore-code=404"],
        "reconcile-suggest": ["-u", f"/api/reconcile/suggest/entity?prefix={quote('青少年')}&cursor=0"],
        # A CSV upload (multipart): the raw request is written by batch_request(), * marks the value.
        "batch": ["-r", "BATCH_REQUEST", "--ignore-code=400"],
    }


STAFF_SCAN_AGENT = "portal-sqlmap-scan/1"


def signed_in(url, cookie):
    """Whether ``url`` answers 200 (not a redirect to the sign-in page) to the scan's session."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    connection.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""),
                       headers={"Cookie": cookie, "User-Agent": STAFF_SCAN_AGENT})
    status = connection.getresponse().status
    connection.close()
    return status == 200


def staff_targets():
    """Return {name: sqlmap arguments} of the staff forms and filters (run with a signed-in session cookie)."""
    return {
        "staff-queue": ["-u", "/staff/complaints?state=received&category=other&organisation=x&age=7&overdue=1"
                              "&assignee=me&sort=oldest&page=1", "--ignore-code=400"],
        "staff-password": [
            "-u", "/staff/password", "--data",
            "csrf_token=x&current_password=x&new_password=y&confirm_password=y",
            "--csrf-token", "csrf_token", "--csrf-url", "/staff/password", "--ignore-code=400",
        ],
    }


def batch_request(base_url, folder, uscc):
    """Write the raw multipart request of a batch check (the file's one value marked *) and return its path."""
    host = base_url.split("://", 1)[1]
    boundary = "sqlmapboundary7MA4YWxk"
    body = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"codes.csv\"\r\n"
        f"Content-Type: text/csv\r\n\r\ncode\r\n{uscc}*\r\n--{boundary}--\r\n"
    )
    request = (
        f"POST /batch HTTP/1.1\r\nHost: {host}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {len(body.encode())}\r\n\r\n{body}"
    )
    path = Path(folder) / "batch-request.txt"
    path.write_text(request)
    return str(path)


def staff_account(server):
    """Create the supervisor account the staff targets sign in with; return its password."""
    password = "scan-" + uuid.uuid4().hex
    command = [str(ROOT / ".venv" / "bin" / "flask"), "--app", "app", "staff", "create-user", "scanner",
               "--role", "supervisor", "--display-name", "扫描", "--password-stdin"]
    subprocess.run(command, cwd=ROOT, env=server.environment(), input=password + "\n", text=True,
                   capture_output=True, check=True, timeout=120)
    return password


def staff_session(server, password):
    """Sign in as the scan's supervisor; return the session cookie ("name=value"), fresh for one target."""
    import http.cookiejar
    import urllib.request

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    # The staff session is bound to the browser that signed in (Flask-Login's strong protection):
    # sqlmap is given the same User-Agent, or every request of its scan is sent back to the sign-in page.
    opener.addheaders = [("User-Agent", STAFF_SCAN_AGENT)]
    page = opener.open(server.base_url + "/staff/login", timeout=30).read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"', page)
    form = {"csrf_token": next(group for group in token.groups() if group), "username": "scanner",
            "password": password}
    opener.open(server.base_url + "/staff/login", data=urlencode(form).encode(), timeout=30).read()
    cookies = [f"{cookie.name}={cookie.value}" for cookie in jar]
    check = opener.open(server.base_url + "/staff/complaints", timeout=30)
    if check.status != 200 or "/staff/login" in check.geturl():
        raise SystemExit("could not sign in to the staff console for the scan")
    return "; ".join(cookies)


def available(base_url, arguments):
    import urllib.error
    import urllib.request

    if arguments[0] == "-r":
        return True
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
    goals = Goals()
    with ScanServer(orgs=600, seed=1, workers=2, access_log=False, log=lambda message: None) as server:
        uscc, _ = server.published_organisation(YOUTH_FOUNDATION)
        chosen = targets(uscc)
        chosen["batch"] = [batch_request(server.base_url, output_dir, uscc) if value == "BATCH_REQUEST" else value
                           for value in chosen["batch"]]
        password = staff_account(server)
        chosen.update(staff_targets())
        if arguments.only:
            chosen = {name: chosen[name] for name in arguments.only.split(",")}
        print(f"sqlmap --level={arguments.level} --risk={arguments.risk} against {server.base_url}")
        for name, target in chosen.items():
            if not available(server.base_url, target):
                goals.check(False, f"{name}: not served")
                print(f"{name:<24} not served (a target that is not scanned is a failure)")
                continue
            if name in staff_targets():
                # Signed in just before each staff target: a long scan outlives a session.
                cookie = staff_session(server, password)
                if not signed_in(server.base_url + target[1], cookie):
                    goals.check(False, f"{name}: the signed-in session does not reach it")
                    continue
                target = [*target, "--cookie", cookie, "-A", STAFF_SCAN_AGENT, "--ignore-redirects"]
            injectable, clean, seconds, output = scan(server.base_url, name, target, arguments.level,
                                                      arguments.risk, output_dir)
            verdict = f"INJECTABLE: {', '.join(sorted(set(injectable)))}" if injectable else (
                "nothing injectable" if clean else "no verdict (see output)")
            print(f"{name:<24} {seconds:6.0f} s  {verdict}", flush=True)
            # "No verdict" is a failure: sqlmap did not test what it was pointed at.
            goals.check(clean and not injectable, f"{name}: {verdict}")
            if injectable:
                print(output[-3000:])
            elif not clean:
                print("\n".join(output.splitlines()[-15:]))
    goals.finish()


if __name__ == "__main__":
    main()
