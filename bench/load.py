"""Load test: the portal as deployed, under a mix of public requests, with and without a sync.

    .venv/bin/python bench/load.py                       # 60,000 demo organisations, 2 x 60 s
    .venv/bin/python bench/load.py --orgs 12000 --duration 20

Sets up the portal as ``make run`` does in a temporary folder (demo scoring
database, ``flask db upgrade``, ``flask sync run``; see
``portal/testing/live_server.py``) and starts ``gunicorn -c gunicorn.conf.py
bench.trivial_app:app`` with the workers gunicorn.conf.py chooses. Then:

1. the trivial-route ceiling: wrk on ``/bench-trivial`` (same server and hooks);
2. the mix: 50% search, 30% credit report, 15% public list, 5% API, drawn at
   random by a wrk Lua script from a few hundred real URLs, for ``--duration``
   seconds with ``--connections`` connections;
3. the mix again, while ``flask sync run`` applies a 5% nightly delta
   (``demo advance-night``) in the middle of the run. A checker thread reads
   the reports of organisations whose score changes that night, over and
   over: every page must show either the old data-as-of time with the old
   score, or the new time with the new score, never a mix.

Per-route p50/p99 come from gunicorn's access log (``%(M)s``, milliseconds
per request). Peak RSS per worker is the largest VmHWM of any worker,
sampled every second. Goals: zero errors, p99 <= 200 ms for every route,
worker RSS <= 300 MB, and no half-updated page.
"""

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.pages import load_average, wrk  # noqa: E402
from portal.testing.live_server import LiveServer  # noqa: E402

MIX = {"search": 50, "report": 30, "list": 15, "api": 5}
P99_GOAL_MS = 200.0
RSS_GOAL_MB = 300.0
ACCESS_FORMAT = "%(U)s %(s)s %(M)s"

_DATA_AS_OF = re.compile(r'Data as of <time datetime="([^"]+)"')
_SCORE = re.compile(r"Credit score: ([\d.]+) points")


def route_of(path):
    if path.startswith("/search"):
        return "search"
    if path.startswith("/api/"):
        return "api"
    if path.startswith("/orgs"):
        return "list"
    if path.startswith("/org/"):
        return "report"
    if path.startswith("/bench-trivial"):
        return "trivial"
    return "other"


class LoadServer(LiveServer):
    """The live server, with gunicorn's access log in a file and the request time in it."""

    def environment(self):
        env = super().environment()
        if self.folder is not None:
            env["WEB_ACCESS_LOG"] = str(self.folder / "access.log")
            env["GUNICORN_CMD_ARGS"] = f"--access-logformat '{ACCESS_FORMAT}'"
        # Every request comes from one loopback address: at the deployed 120 a
        # minute the API's 5% would mostly be 429s. The limiter still runs.
        env["API_RATE_LIMIT"] = "1000000 per minute"
        return env

    def scoring_url(self):
        return f"sqlite:///{self.folder / 'scoring-demo.db'}"

    def portal_engine(self):
        return sa.create_engine(f"sqlite:///{self.folder / 'portal.db'}")


def fetch(url, timeout=30):
    request = urllib.request.Request(url, headers={"Accept-Language": "en"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def build_urls(server, count, seed):
    """Return the weighted list of paths wrk draws from, and the API path used."""
    generator = random.Random(seed)
    engine = server.portal_engine()
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT uscc, name, name_pinyin, district_code, org_type FROM organisations WHERE is_published")
        ).all()
    engine.dispose()
    sample = generator.sample(rows, min(400, len(rows)))
    searches = []
    for uscc, name, pinyin, _district, _type in sample:
        kind = generator.random()
        if kind < 0.4:
            text = name[-4:-2] if len(name) > 4 else name  # a 2-character word
        elif kind < 0.7:
            text = name
        elif kind < 0.85:
            text = " ".join((pinyin or "").split()[:4]) or name
        else:
            text = uscc[:6]
        searches.append(f"/search?q={quote(text)}")
    reports = [f"/org/{uscc}" for uscc, *_ in sample]
    lists = [
        *{f"/orgs?page={generator.randint(1, max(1, len(rows) // 50))}" for _ in range(10)},
        "/orgs?grade=A",
        "/orgs?grade=B&sort=score_desc",
        *{f"/orgs?district={row[3]}" for row in sample[:20]},
        *{f"/orgs?type={row[4]}" for row in sample[:20]},
    ]
    lists = [path for path in lists if fetch(server.base_url + path)[0] == 200]
    api_candidates = ["/api/v1/organisations?limit=20", f"/api/v1/organisations/{sample[0][0]}"]
    apis = [path for path in api_candidates if fetch(server.base_url + path)[0] == 200]
    mix = dict(MIX)
    if not apis:
        print("the API answers nothing yet: its 5% go to the report instead")
        mix["report"] += mix.pop("api")
    pools = {"search": searches, "report": reports, "list": lists, "api": apis}
    paths = []
    for route, weight in mix.items():
        paths += [generator.choice(pools[route]) for _ in range(count * weight // 100)]
    generator.shuffle(paths)
    return paths


def write_lua(paths, folder):
    script = folder / "mix.lua"
    quoted = ",\n".join('"' + path.replace("\\", "\\\\").replace('"', '\\"') + '"' for path in paths)
    script.write_text(
        "local paths = {\n" + quoted + "\n}\n"
        "math.randomseed(os.time())\n"
        "request = function()\n"
        "  return wrk.format('GET', paths[math.random(#paths)], {['Accept-Language'] = 'zh-CN'})\n"
        "end\n"
    )
    return script


def wrk_script(url, script, duration, connections, threads):
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "--latency",
               "-s", str(script), url]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60, check=True)
    output = completed.stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    non_success = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors:.*", output)
    return rate, int(non_success.group(1)) if non_success else 0, socket_errors.group(0) if socket_errors else ""


class WorkerMemory:
    """Sample gunicorn's workers every second: peak RSS (VmHWM), and the largest PSS and private memory.

    RSS counts the pages a worker shares copy-on-write with the master (the
    app and jieba's dictionary, loaded before the fork) in full in every
    worker; PSS divides them among the processes sharing them, and private
    memory (USS) is what the worker alone holds.
    """

    def __init__(self, master_pid):
        self.master_pid = master_pid
        self.peak_kb = 0
        self.pss_kb = 0
        self.private_kb = 0
        self.workers_seen = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _children(self):
        children = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == self.master_pid:
                        children.append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
        return children

    def sample(self):
        for pid in self._children():
            self.workers_seen.add(pid)
            try:
                with open(f"/proc/{pid}/status") as status:
                    for line in status:
                        if line.startswith("VmHWM:"):
                            self.peak_kb = max(self.peak_kb, int(line.split()[1]))
                with open(f"/proc/{pid}/smaps_rollup") as rollup:
                    fields = {line.split(":")[0]: int(line.split()[1]) for line in rollup if line.endswith("kB\n")}
                self.pss_kb = max(self.pss_kb, fields.get("Pss", 0))
                self.private_kb = max(self.private_kb, fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0))
            except OSError:
                continue

    def _run(self):
        while not self._stop.wait(1.0):
            self.sample()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self.sample()
        self._stop.set()
        self._thread.join()


def route_latencies(log_path, since_line):
    """Return ({route: [ms]}, {route: {status: count}}, lines read, USCCs of reports answered 404) from the access log."""
    timings, statuses, reports_not_found = {}, {}, set()
    lines = log_path.read_text().splitlines() if log_path.exists() else []
    for line in lines[since_line:]:
        parts = line.split()
        if len(parts) != 3 or not parts[2].isdigit():
            continue
        route = route_of(parts[0])
        timings.setdefault(route, []).append(int(parts[2]))
        statuses.setdefault(route, {}).setdefault(parts[1], 0)
        statuses[route][parts[1]] += 1
        if route == "report" and parts[1] == "404":
            reports_not_found.add(parts[0].split("/")[2])
    return timings, statuses, len(lines), reports_not_found


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


class ConsistencyChecker:
    """Read reports of organisations changing in the sync; each must be wholly old or wholly new."""

    def __init__(self, base_url, expected):
        self.base_url = base_url
        self.expected = expected  # uscc -> (old score, new score)
        self.states = {}
        self.checked = 0
        self.mixed = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        usccs = list(self.expected)
        while not self._stop.is_set():
            for uscc in usccs:
                status, body = fetch(f"{self.base_url}/org/{uscc}?lang=en")
                if status != 200:
                    continue
                as_of = _DATA_AS_OF.search(body)
                score = _SCORE.search(body)
                if not (as_of and score):
                    continue
                self.checked += 1
                self.states.setdefault(uscc, set()).add((as_of.group(1).strip(), Decimal(score.group(1))))

    def verdict(self, old_as_of):
        """Return the data-as-of times seen and the pages that mixed an old time with a new score, or the reverse."""
        times = {as_of for observed in self.states.values() for as_of, _ in observed}
        mixed = []
        for uscc, observed in self.states.items():
            old, new = self.expected[uscc]
            for as_of, score in observed:
                if score != (old if as_of == old_as_of else new):
                    mixed.append((uscc, as_of, score))
        return times, mixed

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join()


def published_usccs(server):
    engine = server.portal_engine()
    with engine.connect() as connection:
        usccs = set(connection.execute(sa.text("SELECT uscc FROM organisations WHERE is_published")).scalars())
    engine.dispose()
    return usccs


def changing_scores(server):
    """Return {uscc: (portal score now, scoring score after the night)} of published orgs whose score changes."""
    scoring = sa.create_engine(server.scoring_url())
    portal = server.portal_engine()
    with portal.connect() as connection:
        now = dict(connection.execute(sa.text("SELECT uscc, score FROM organisations WHERE is_published")).all())
    with scoring.connect() as connection:
        after = dict(
            connection.execute(sa.text("SELECT uscc, score FROM credit_scores WHERE grade IN ('A', 'B')")).all()
        )
    scoring.dispose()
    portal.dispose()
    return {
        uscc: (Decimal(str(now[uscc])), Decimal(str(after[uscc])))
        for uscc in now
        if uscc in after and Decimal(str(now[uscc])) != Decimal(str(after[uscc]))
    }


def run_mix(server, script, arguments, label, during=None):
    log_path = server.folder / "access.log"
    _, _, start_line, _ = route_latencies(log_path, 0)
    print(f"\n{label}: wrk -c{arguments.connections} -d{arguments.duration}s, load average {load_average()}", flush=True)
    with WorkerMemory(server.process.pid) as memory:
        worker = None
        if during is not None:
            worker = threading.Thread(target=during, daemon=True)
            worker.start()
        rate, non_success, socket_errors = wrk_script(
            server.base_url + "/", script, arguments.duration, arguments.connections, arguments.threads
        )
        if worker is not None:
            worker.join()
    time.sleep(0.5)  # the access log's last lines
    timings, statuses, _, reports_not_found = route_latencies(log_path, start_line)
    # A report that answers 404 after its organisation left the list in the
    # sync is correct (nothing unpublished is shown); any other 404 is an error.
    still_published = published_usccs(server) & reports_not_found
    if reports_not_found:
        print(f"{len(reports_not_found)} reports answered 404, "
              f"{len(reports_not_found) - len(still_published)} of organisations no longer published (correct)")
    print(f"throughput {rate:.0f} req/s; non-2xx/3xx {non_success}; {socket_errors or 'no socket errors'}")
    print(f"{'route':<8} {'requests':>8} {'p50 ms':>7} {'p99 ms':>7}  statuses")
    failures = []
    for route in ("search", "report", "list", "api"):
        values = timings.get(route)
        if not values:
            continue
        p99 = percentile(values, 0.99)
        errors = sum(count for status, count in statuses[route].items() if not status.startswith(("2", "3")))
        if route == "report" and not still_published:
            errors -= statuses[route].get("404", 0)
        print(f"{route:<8} {len(values):8d} {percentile(values, 0.5):7.0f} {p99:7.0f}  "
              + ", ".join(f"{status}: {count}" for status, count in sorted(statuses[route].items())))
        if p99 > P99_GOAL_MS:
            failures.append(f"{label}: {route} p99 {p99} ms > {P99_GOAL_MS:.0f}")
        if errors:
            failures.append(f"{label}: {route} had {errors} errors")
    peak_mb = memory.peak_kb / 1024
    print(f"peak RSS of a worker: {peak_mb:.0f} MB ({len(memory.workers_seen)} workers seen); "
          f"largest PSS {memory.pss_kb / 1024:.0f} MB, private {memory.private_kb / 1024:.0f} MB")
    if peak_mb > RSS_GOAL_MB:
        failures.append(f"{label}: worker RSS {peak_mb:.0f} MB > {RSS_GOAL_MB:.0f}")
    unexplained = non_success - (0 if still_published else statuses.get("report", {}).get("404", 0))
    if unexplained or socket_errors:
        failures.append(f"{label}: wrk saw {non_success} non-2xx/3xx and {socket_errors or 'no socket errors'}")
    return rate, failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orgs", type=int, default=60000)
    parser.add_argument("--duration", type=int, default=60, help="seconds of each mixed run (default 60)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=11)
    arguments = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")

    server = LoadServer(orgs=arguments.orgs, seed=1, workers=None, wsgi_app="bench.trivial_app:app",
                        python_path=ROOT, access_log=True)
    failures = []
    with server:
        print(f"{arguments.orgs:,} organisations; gunicorn at {server.base_url}; load average {load_average()}")
        paths = build_urls(server, 4000, arguments.seed)
        script = write_lua(paths, Path(tempfile.mkdtemp(prefix="portal-load-", dir=server.folder)))
        # Warm every worker's caches a little, as a server that has been up a while has them.
        wrk_script(server.base_url + "/", script, 5, arguments.connections, arguments.threads)

        trivial, _ = wrk(server.base_url + "/bench-trivial", 10, arguments.connections, arguments.threads)
        print(f"\ntrivial route: {trivial['requests_per_second']:.0f} req/s, p99 {trivial['p99_ms']:.1f} ms "
              f"(the ceiling of this server on this machine)")

        rate, quiet_failures = run_mix(server, script, arguments, "mix without a sync")
        failures += quiet_failures
        print(f"ratio to the trivial route: {rate / trivial['requests_per_second']:.2f}")

        night = server._flask("demo", "advance-night", "--changes-percent", "5")
        print(f"\nadvance-night: {night.strip().splitlines()[-1] if night.strip() else 'done'}")
        expected = dict(list(changing_scores(server).items())[:20])
        old_as_of = _DATA_AS_OF.search(fetch(f"{server.base_url}/org/{next(iter(expected))}?lang=en")[1]).group(1).strip()
        sync_output = {}

        def sync_in_the_middle():
            time.sleep(arguments.duration / 3)
            started = time.perf_counter()
            sync_output["summary"] = server._flask("sync", "run").strip().splitlines()[-1]
            sync_output["seconds"] = time.perf_counter() - started

        with ConsistencyChecker(server.base_url, expected) as checker:
            rate, sync_failures = run_mix(server, script, arguments, "mix with a 5% sync in the middle",
                                          during=sync_in_the_middle)
        failures += sync_failures
        print(f"ratio to the trivial route: {rate / trivial['requests_per_second']:.2f}")
        print(f"sync during the run: {sync_output.get('seconds', 0):.1f} s: {sync_output.get('summary')}")
        times, mixed = checker.verdict(old_as_of)
        print(f"consistency: {checker.checked} report pages of {len(expected)} changing organisations read; "
              f"{len(times)} data-as-of times seen; {len(mixed)} half-updated pages")
        if len(times) != 2:
            failures.append(f"the checker saw {len(times)} data-as-of times, not the old and the new one")
        if mixed:
            failures.append(f"{len(mixed)} half-updated pages, e.g. {mixed[:3]}")
    print()
    if failures:
        print("goals missed:\n  " + "\n  ".join(failures))
        sys.exit(1)
    print("all goals met")


if __name__ == "__main__":
    main()
