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

The search and report routes are measured twice: on one URL each (the page
cache answers: "cached"), and over ``--distinct`` different searches and
organisations drawn at random by a wrk Lua script (mostly cache misses:
"uncached"). Any answer but 2xx/3xx, and any route that does not answer 200
before the run, is a missed goal.

Goals: a report at least 0.5 of the trivial route, a search at least 0.3;
uncached, half of that (0.25 and 0.15). Ends with a verdict; exits 1 if a
goal is missed.
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.verdict import Goals  # noqa: E402
from portal.testing.live_server import YOUTH_FOUNDATION, LiveServer  # noqa: E402

SEARCH_TEXT = "青少年"
#: Route name -> goal (minimum ratio of requests/s to the trivial route), or None.
#: The uncached goals are half the cached ones: a miss renders the page (and runs the search) every time.
GOALS = {"trivial": None, "home": None, "search": 0.3, "report": 0.5, "search uncached": 0.15,
         "report uncached": 0.25}

_REQUESTS_PER_SECOND = re.compile(r"Requests/sec:\s+([\d.]+)")
_PERCENTILE = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_NON_SUCCESS = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_SOCKET_ERRORS = re.compile(r"Socket errors:.*")
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url, duration, connections, threads, script=None):
    """Run wrk against ``url`` (with a Lua ``script`` that picks the paths, if given); return its result and output."""
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "--latency", url]
    if script is not None:
        command[-1:-1] = ["-s", str(script)]
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


def write_lua(paths, folder, name="mix.lua"):
    """Write a wrk script that asks for one of ``paths`` at random on each request (in Chinese); return its path."""
    script = Path(folder) / name
    quoted = ",\n".join('"' + path.replace("\\", "\\\\").replace('"', '\\"') + '"' for path in paths)
    script.write_text(
        "local paths = {\n" + quoted + "\n}\n"
        "math.randomseed(os.time())\n"
        "request = function()\n"
        "  return wrk.format('GET', paths[math.random(#paths)], {['Accept-Language'] = 'zh-CN'})\n"
        "end\n"
    )
    return script


def settle(base_url, seconds=30):
    """Wait until the server has drained the previous run's queued requests (the trivial route answers at once)."""
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.perf_counter()
        status_of(base_url + "/bench-trivial")
        if time.perf_counter() - started < 0.05:
            return
        time.sleep(0.2)


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
    parser.add_argument("--distinct", type=int, default=5000,
                        help="distinct searches and reports of the uncached routes (default 5,000; each worker's "
                             "page cache holds PAGE_CACHE_SIZE = 500 pages)")
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
        failed = []
        for name, path in list(routes.items()):
            status = status_of(server.base_url + path)
            if status != 200:
                failed.append(f"{name} {path} answered {status}, not 200")
                del routes[name]
        # Cache misses: many distinct searches and reports, more than every worker's page cache holds.
        pools = distinct_paths(server, arguments.distinct)
        folder = tempfile.mkdtemp(prefix="pages-bench-", dir=server.folder)
        scripts = {name: write_lua(paths, folder, f"{name}.lua") for name, paths in pools.items()}
        for name, paths in pools.items():
            wrong = [(path, status) for path in paths[:20] if (status := status_of(server.base_url + path)) != 200]
            if wrong:
                failed.append(f"{name}: {wrong[:3]} answered other than 200")
        seconds = max(1, round(arguments.duration / arguments.rounds))
        print(f"report of {YOUTH_FOUNDATION} ({uscc}, grade {grade}); {arguments.distinct:,} distinct searches and "
              f"reports for the uncached routes; {arguments.rounds} interleaved rounds of "
              f"wrk -t{arguments.threads} -c{arguments.connections} -d{seconds}s --latency per route, "
              f"{arguments.warmup} s warm-up each; load average before: {load_average()}")
        measured_routes = {**{name: (path, None) for name, path in routes.items()},
                           **{name: ("/", script) for name, script in scripts.items()}}
        rounds = {name: [] for name in measured_routes}
        if arguments.first_warmup:
            for path, script in measured_routes.values():
                wrk(server.base_url + path, arguments.first_warmup, arguments.connections, arguments.threads, script)
            print(f"warmed every route for {arguments.first_warmup} s; load average: {load_average()}")
        for number in range(1, arguments.rounds + 1):
            # Interleaved, so that anything else on the machine slows every route alike.
            for name, (path, script) in measured_routes.items():
                url = server.base_url + path
                if arguments.warmup:
                    wrk(url, arguments.warmup, arguments.connections, arguments.threads, script)
                settle(server.base_url)
                result, output = wrk(url, seconds, arguments.connections, arguments.threads, script)
                rounds[name].append(result)
                if arguments.verbose:
                    print(output)
                print(f"round {number} {name:<16} {result['requests_per_second']:8.0f} req/s  "
                      f"p50 {result['p50_ms']:7.1f} ms  p99 {result['p99_ms']:7.1f} ms  "
                      f"{path if script is None else script.name}", flush=True)
                if result["non_success"] or result["socket_errors"]:
                    failed.append(f"round {number} {name}: {result['non_success']} non-2xx/3xx responses "
                                  f"{result['socket_errors']}")
        print(f"load average after: {load_average()}")
    results = {
        name: {
            "requests_per_second": statistics.median(r["requests_per_second"] for r in measured),
            "p99_ms": statistics.median(r["p99_ms"] for r in measured),
        }
        for name, measured in rounds.items()
    }

    goals = Goals()
    for failure in failed:
        goals.check(False, failure)
    trivial = results.get("trivial")
    if not trivial or not trivial["requests_per_second"]:
        goals.check(False, "the trivial route was not measured")
        goals.finish()
    print()
    print(f"median of {arguments.rounds} rounds")
    print(f"{'route':<16} {'req/s':>8} {'p99 ms':>8} {'ratio':>6}  goal")
    for name, result in results.items():
        ratio = result["requests_per_second"] / trivial["requests_per_second"]
        goal = GOALS.get(name)
        verdict = ""
        if goal is not None:
            ok = goals.check(ratio >= goal, f"{name}: {ratio:.2f} of the trivial route (goal >= {goal})")
            verdict = f">= {goal:.2f} " + ("met" if ok else "MISSED")
        print(f"{name:<16} {result['requests_per_second']:8.0f} {result['p99_ms']:8.1f} {ratio:6.2f}  {verdict}")
    goals.finish()


def distinct_paths(server, count):
    """Return {"search uncached": [...], "report uncached": [...]}: ``count`` distinct paths of each."""
    import random

    import sqlalchemy as sa

    engine = sa.create_engine(f"sqlite:///{server.folder / 'portal.db'}")
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT uscc, name FROM organisations WHERE is_published")).all()
    engine.dispose()
    generator = random.Random(5)
    sample = generator.sample(rows, min(count, len(rows)))
    searches = set()
    for _, name in sample:
        # A word of the name as people type it: 2 to 4 characters from somewhere in it.
        length = generator.randint(2, 4)
        start = generator.randint(0, max(0, len(name) - length))
        searches.add(f"/search?q={quote(name[start:start + length])}")
    return {
        "search uncached": sorted(searches),
        "report uncached": [f"/org/{uscc}" for uscc, _ in sample],
    }


if __name__ == "__main__":
    main()
