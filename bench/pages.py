"""Benchmark the public pages under gunicorn, against a trivial Flask route of the same server.

    .venv/bin/python bench/pages.py                    # 12,000 demo organisations, 15 s per route
    .venv/bin/python bench/pages.py --orgs 2000 --duration 5

Sets up the portal as ``make run`` does, in a temporary folder (demo scoring
database of N organisations, ``flask db upgrade``, ``flask sync run``; see
``portal/testing/live_server.py``), then starts ``gunicorn -c gunicorn.conf.py
bench.trivial_app:app`` on a loopback port, with the number of workers
gunicorn.conf.py chooses. ``bench/trivial_app.py`` is the portal's app plus
one route, ``/bench-trivial``, which returns "ok": the same configuration,
extensions and hooks, and nothing else. Then, after warming every route
(``--first-warmup``: each gunicorn worker renders each page once, and its
first search computes the index's sort orders, seconds on a loaded machine),
for each route, a short warm-up and ``wrk -t2 -c50 -d5s --latency``
(Debian's /usr/bin/wrk), in three
rounds that take the routes in turn (15 s per route in all), and prints
requests/s, p50 and p99 latency, then the median of the rounds and its ratio
to the trivial route's. wrk runs on the same machine, so it takes part of the
CPU from gunicorn for every route alike; so does anything else running, which
is why the rounds are interleaved and the load average is printed.

Goals: a report at least 0.5 of the trivial route, a search at least 0.3.
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from portal.testing.live_server import YOUTH_FOUNDATION, LiveServer  # noqa: E402

SEARCH_TEXT = "青少年"
#: Route name -> goal (minimum ratio of requests/s to the trivial route), or None.
GOALS = {"trivial": None, "home": None, "search": 0.3, "report": 0.5}

_REQUESTS_PER_SECOND = re.compile(r"Requests/sec:\s+([\d.]+)")
_PERCENTILE = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_NON_SUCCESS = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_SOCKET_ERRORS = re.compile(r"Socket errors:.*")
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url, duration, connections, threads):
    """Run wrk against ``url``; return its parsed result and its output."""
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "--latency", url]
    # Bounded: wrk stops itself after ``duration``; the margin covers start-up and the last responses.
    completed = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60, check=True)
    output = completed.stdout
    percentiles = {int(p): float(value) * _UNIT_MS[unit] for p, value, unit in _PERCENTILE.findall(output)}
    non_success = _NON_SUCCESS.search(output)
    socket_errors = _SOCKET_ERRORS.search(output)
    return {
        "requests_per_second": float(_REQUESTS_PER_SECOND.search(output).group(1)),
        "p50_ms": percentiles.get(50),
        "p99_ms": percentiles.get(99),
        "non_success": int(non_success.group(1)) if non_success else 0,
        "socket_errors": socket_errors.group(0) if socket_errors else "",
    }, output


def load_average():
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def status_of(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orgs", type=int, default=12000, help="demo organisations (default 12,000)")
    parser.add_argument("--duration", type=int, default=15, help="seconds of wrk per route, in all (default 15)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds the duration is split into (default 3)")
    parser.add_argument("--warmup", type=int, default=1, help="seconds of wrk before each measure (default 1)")
    parser.add_argument("--first-warmup", type=int, default=10,
                        help="seconds of wrk on each route before the first round (default 10): every worker's "
                             "first search computes the index's sort orders, and every worker renders each page once")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: gunicorn.conf.py's)")
    parser.add_argument("--access-log", action="store_true", help="keep gunicorn's access log on (default off)")
    parser.add_argument("--verbose", action="store_true", help="print wrk's whole output")
    arguments = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")

    server = LiveServer(
        orgs=arguments.orgs,
        seed=1,
        workers=arguments.workers,
        wsgi_app="bench.trivial_app:app",
        python_path=ROOT,
        access_log=arguments.access_log,
    )
    with server:
        uscc, grade = server.published_organisation(YOUTH_FOUNDATION)
        routes = {
            "trivial": "/bench-trivial",
            "home": "/",
            "search": f"/search?q={quote(SEARCH_TEXT)}",
            "report": f"/org/{uscc}",
        }
        for name, path in list(routes.items()):
            status = status_of(server.base_url + path)
            if status != 200:
                print(f"{name:<8} {path}: skipped, it answers {status}"
                      + (" (the search page is not there yet)" if name == "search" else ""))
                del routes[name]
        seconds = max(1, round(arguments.duration / arguments.rounds))
        print(f"report of {YOUTH_FOUNDATION} ({uscc}, grade {grade}); {arguments.rounds} interleaved rounds of "
              f"wrk -t{arguments.threads} -c{arguments.connections} -d{seconds}s --latency per route, "
              f"{arguments.warmup} s warm-up each; load average before: {load_average()}")
        rounds = {name: [] for name in routes}
        if arguments.first_warmup:
            for path in routes.values():
                wrk(server.base_url + path, arguments.first_warmup, arguments.connections, arguments.threads)
            print(f"warmed every route for {arguments.first_warmup} s; load average: {load_average()}")
        for number in range(1, arguments.rounds + 1):
            # Interleaved, so that anything else on the machine slows every route alike.
            for name, path in routes.items():
                url = server.base_url + path
                if arguments.warmup:
                    wrk(url, arguments.warmup, arguments.connections, arguments.threads)
                result, output = wrk(url, seconds, arguments.connections, arguments.threads)
                rounds[name].append(result)
                if arguments.verbose:
                    print(output)
                print(f"round {number} {name:<8} {result['requests_per_second']:8.0f} req/s  "
                      f"p50 {result['p50_ms']:7.1f} ms  p99 {result['p99_ms']:7.1f} ms  {path}", flush=True)
                if result["non_success"] or result["socket_errors"]:
                    print(f"         WARNING: {result['non_success']} non-2xx/3xx responses "
                          f"{result['socket_errors']}")
        print(f"load average after: {load_average()}")
    results = {
        name: {
            "requests_per_second": statistics.median(r["requests_per_second"] for r in measured),
            "p99_ms": statistics.median(r["p99_ms"] for r in measured),
        }
        for name, measured in rounds.items()
    }

    trivial = results.get("trivial")
    if not trivial:
        sys.exit("the trivial route was not measured")
    print()
    print(f"median of {arguments.rounds} rounds")
    print(f"{'route':<8} {'req/s':>8} {'p99 ms':>8} {'ratio':>6}  goal")
    failed = []
    for name, result in results.items():
        ratio = result["requests_per_second"] / trivial["requests_per_second"]
        goal = GOALS.get(name)
        verdict = ""
        if goal is not None:
            verdict = f">= {goal:.1f} " + ("met" if ratio >= goal else "MISSED")
            if ratio < goal:
                failed.append(name)
        print(f"{name:<8} {result['requests_per_second']:8.0f} {result['p99_ms']:8.1f} {ratio:6.2f}  {verdict}")
    if failed:
        print(f"\ngoals missed: {', '.join(failed)}")
        sys.exit(1)


if __name__ == "__main__":
    main()
