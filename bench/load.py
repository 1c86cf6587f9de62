"""Load test: the portal as deployed, under a mix of public requests, with and without a sync.

    .venv/bin/python bench/load.py                       # 60,000 demo organisations, 2 x 60 s
    .venv/bin/python bench/load.py --orgs 12000 --duration 20

Sets up the portal as ``make run`` does in a temporary folder (demo scoring
database, ``flask db upgrade``, ``flask sync run``; see
``portal/testing/live_server.py``) and starts ``gunicorn -c gunicorn.conf.py
bench.trivial_app:app`` with the workers gunicorn.conf.py chooses. Then:

1. the trivial-route ceiling: wrk on ``/bench-trivial`` (same server and hooks);
2. the first uncached PDF: ``--first-pdfs`` reports of organisations nobody
   asked for yet, one after the other on a quiet server (rendered by WeasyPrint);
3. the cached PDF: wrk on PDFs already rendered (a pool of ``--pdf-orgs``
   organisations, pre-rendered as after a sync), against the trivial route;
4. the PDF mix: 50% search, 35% credit report page, 15% PDF report (of the
   pool; ``--uncached-pdfs`` of them not rendered yet, so renders happen during
   the run), ``--pdf-connections`` (32) clients for ``--pdf-duration`` seconds;
   worker RSS is printed every 10 s beside the requests served so far;
5. SQLite FTS5 (trigram) on a copy of the same portal database, in this
   process, on the same search strings: the baseline of the search route;
6. the public mix: 50% search, 30% credit report, 15% public list, 5% API,
   drawn at random by a wrk Lua script from a few hundred real URLs, for
   ``--duration`` seconds with ``--connections`` connections;
7. the public mix again, while ``flask sync run`` applies a 5% nightly delta
   (``demo advance-night``) in the middle of the run. A checker thread reads
   the reports of organisations whose score changes that night, over and
   over: every page must show either the old data-as-of time with the old
   score, or the new time with the new score, never a mix.

Which responses count as correct (decided before any run, and printed):
2xx and 3xx everywhere (304 answers a conditional PDF GET); a 404 from a
report or PDF of an organisation that is no longer published once the run
ends (it left the list in the sync: showing nothing is what disclosure
requires). Everything else is an error, 503 (render queue full) and 429
included: a visitor did not get what they asked for.

Per-route p50/p95/p99 come from gunicorn's access log (``%(M)s``,
milliseconds per request). Worker memory is sampled every second (VmRSS,
VmHWM, PSS). Goals: zero errors; p99 <= 200 ms for every route of the
public mix; in the PDF mix, search p99 <= 100 ms; cached PDF throughput >= 0.5
of the trivial route; the median first uncached PDF <= 1.5 s; worker RSS
<= 300 MB throughout; no half-updated page.
"""

import argparse
import os
import random
import re
import shutil
import sqlite3
import statistics
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

from bench.pages import load_average, settle, wrk, write_lua  # noqa: E402
from portal.testing.live_server import LiveServer  # noqa: E402

MIX = {"search": 50, "report": 30, "list": 15, "api": 5}
PDF_MIX = {"search": 50, "report": 35, "pdf": 15}
P99_GOAL_MS = 200.0
PDF_MIX_SEARCH_P99_GOAL_MS = 100.0
CACHED_PDF_RATIO_GOAL = 0.5
FIRST_PDF_GOAL_SECONDS = 1.5
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
    if path.startswith("/org/") and path.split("?")[0].endswith("/report.pdf"):
        return "pdf"
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
        env["REPORT_RATE_LIMIT"] = "1000000 per minute"
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


def build_pools(server, seed, pdf_orgs, first_pdfs):
    """Return {route: [paths]} drawn from the published organisations, and the search strings."""
    generator = random.Random(seed)
    engine = server.portal_engine()
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT uscc, name, name_pinyin, district_code, org_type FROM organisations WHERE is_published")
        ).all()
    engine.dispose()
    sample = generator.sample(rows, min(400 + first_pdfs, len(rows)))
    sample, fresh = sample[: len(sample) - first_pdfs], sample[len(sample) - first_pdfs:]
    texts = []
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
        texts.append(text)
    searches = [f"/search?q={quote(text)}" for text in texts]
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
    pools = {
        "search": searches,
        "report": reports,
        "list": lists,
        "api": apis,
        "pdf": [f"/org/{uscc}/report.pdf" for uscc, *_ in sample[:pdf_orgs]],
        "first pdf": [f"/org/{uscc}/report.pdf" for uscc, *_ in fresh],
    }
    return pools, texts


def weighted_paths(pools, mix, count, seed):
    """Return ``count`` paths drawn from ``pools`` in the proportions of ``mix``, shuffled."""
    generator = random.Random(seed)
    mix = dict(mix)
    if "api" in mix and not pools["api"]:
        print("the API answers nothing yet: its share goes to the report instead")
        mix["report"] += mix.pop("api")
    paths = []
    for route, weight in mix.items():
        paths += [generator.choice(pools[route]) for _ in range(count * weight // 100)]
    generator.shuffle(paths)
    return paths


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

    def __init__(self, master_pid, log_path=None, every=10):
        self.master_pid = master_pid
        self.log_path = log_path
        self.every = every
        self.started = time.monotonic()
        self.timeline = []  # (seconds, requests logged, largest VmRSS MB, largest PSS MB)
        self.current_rss_kb = 0
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
        rss_now, pss_now = 0, 0
        for pid in self._children():
            self.workers_seen.add(pid)
            try:
                with open(f"/proc/{pid}/status") as status:
                    for line in status:
                        if line.startswith("VmHWM:"):
                            self.peak_kb = max(self.peak_kb, int(line.split()[1]))
                        elif line.startswith("VmRSS:"):
                            rss_now = max(rss_now, int(line.split()[1]))
                with open(f"/proc/{pid}/smaps_rollup") as rollup:
                    fields = {line.split(":")[0]: int(line.split()[1]) for line in rollup if line.endswith("kB\n")}
                pss_now = max(pss_now, fields.get("Pss", 0))
                self.private_kb = max(self.private_kb, fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0))
            except OSError:
                continue
        self.current_rss_kb = rss_now
        self.pss_kb = max(self.pss_kb, pss_now)
        return rss_now, pss_now

    def _logged_requests(self):
        if self.log_path is None or not self.log_path.exists():
            return 0
        with open(self.log_path, "rb") as log:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: log.read(1 << 20), b""))

    def _run(self):
        ticks = 0
        while not self._stop.wait(1.0):
            rss_kb, pss_kb = self.sample()
            ticks += 1
            if self.log_path is not None and ticks % self.every == 0:
                point = (ticks, self._logged_requests(), rss_kb / 1024, pss_kb / 1024)
                self.timeline.append(point)
                print(f"  {point[0]:4d} s  {point[1]:7d} requests logged  largest worker RSS {point[2]:4.0f} MB, "
                      f"PSS {point[3]:4.0f} MB", flush=True)

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
        if route in ("report", "pdf") and parts[1] == "404":
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


def published_scores(server, usccs):
    """Return {uscc: published score} of those of ``usccs`` published now."""
    engine = server.portal_engine()
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT uscc, score FROM organisations WHERE is_published AND uscc IN :usccs").bindparams(
                sa.bindparam("usccs", expanding=True)),
            {"usccs": usccs},
        ).all()
    engine.dispose()
    return {uscc: Decimal(str(score)) for uscc, score in rows}


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


def errors_of(route, route_statuses, gone):
    """Return the responses of ``route`` that count as errors (see the module's docstring)."""
    errors = sum(count for status, count in route_statuses.items() if not status.startswith(("2", "3")))
    if route in ("report", "pdf") and gone:
        errors -= route_statuses.get("404", 0)
    return errors


def run_mix(server, script, label, duration, connections, threads, routes, p99_goals, during=None):
    """Run wrk with ``script``; print req/s, p50/p95/p99 and statuses per route; return (rate, failures, requests)."""
    log_path = server.folder / "access.log"
    settle(server.base_url)
    _, _, start_line, _ = route_latencies(log_path, 0)
    print(f"\n{label}: wrk -c{connections} -d{duration}s, load average {load_average()}", flush=True)
    with WorkerMemory(server.process.pid, log_path) as memory:
        worker = None
        if during is not None:
            worker = threading.Thread(target=during, daemon=True)
            worker.start()
        rate, non_success, socket_errors = wrk_script(server.base_url + "/", script, duration, connections, threads)
        if worker is not None:
            worker.join()
    time.sleep(0.5)  # the access log's last lines
    timings, statuses, _, not_found = route_latencies(log_path, start_line)
    # A report that answers 404 after its organisation left the list in the
    # sync is correct (nothing unpublished is shown); any other 404 is an error.
    still_published = published_usccs(server) & not_found
    gone = bool(not_found) and not still_published
    if not_found:
        print(f"{len(not_found)} reports answered 404, "
              f"{len(not_found) - len(still_published)} of organisations no longer published (correct)")
    print(f"throughput {rate:.0f} req/s; non-2xx/3xx {non_success}; {socket_errors or 'no socket errors'}")
    print(f"{'route':<8} {'requests':>8} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}  statuses")
    failures = []
    served = 0
    for route in routes:
        values = timings.get(route)
        if not values:
            failures.append(f"{label}: no {route} request was logged")
            continue
        served += len(values)
        p99 = percentile(values, 0.99)
        errors = errors_of(route, statuses[route], gone)
        print(f"{route:<8} {len(values):8d} {len(values) / duration:7.1f} {percentile(values, 0.5):7.0f} "
              f"{percentile(values, 0.95):7.0f} {p99:7.0f}  "
              + ", ".join(f"{status}: {count}" for status, count in sorted(statuses[route].items())))
        goal = p99_goals.get(route)
        if goal is not None and p99 > goal:
            failures.append(f"{label}: {route} p99 {p99} ms > {goal:.0f}")
        if errors:
            failures.append(f"{label}: {route} had {errors} errors")
    peak_mb = memory.peak_kb / 1024
    print(f"peak RSS of a worker: {peak_mb:.0f} MB, at the end {memory.current_rss_kb / 1024:.0f} MB "
          f"({len(memory.workers_seen)} workers seen); largest PSS {memory.pss_kb / 1024:.0f} MB, "
          f"private {memory.private_kb / 1024:.0f} MB")
    if peak_mb > RSS_GOAL_MB:
        failures.append(f"{label}: worker RSS {peak_mb:.0f} MB > {RSS_GOAL_MB:.0f}")
    explained = sum(statuses.get(route, {}).get("404", 0) for route in ("report", "pdf")) if gone else 0
    if non_success - explained or socket_errors:
        failures.append(f"{label}: wrk saw {non_success} non-2xx/3xx and {socket_errors or 'no socket errors'}")
    return rate, failures, served


def timed_get(url):
    """Return (status, seconds, bytes) of one GET of ``url``."""
    started = time.perf_counter()
    status, body = fetch_bytes(url)
    return status, time.perf_counter() - started, len(body)


def fetch_bytes(url, timeout=60):
    request = urllib.request.Request(url, headers={"Accept-Language": "zh-CN"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def render_pool(base_url, paths):
    """Ask for every PDF of ``paths`` one by one (as after a sync), honouring Retry-After; return the statuses."""
    statuses = {}
    for path in paths:
        for _attempt in range(5):
            status = fetch_bytes(base_url + path)[0]
            if status != 503:
                break
            time.sleep(1)
        statuses[status] = statuses.get(status, 0) + 1
    return statuses


def fts5_baseline(server, texts):
    """Time SQLite FTS5 (trigram) on a copy of the portal database, on the search strings; return the figures."""
    from bench.search import build_fts, fts_search

    copy = server.folder / "fts5-baseline.db"
    shutil.copyfile(server.folder / "portal.db", copy)
    build_seconds = build_fts(str(copy))
    connection = sqlite3.connect(copy)
    timings, hits = [], []
    for text in texts:
        started = time.perf_counter()
        hits.append(fts_search(connection, "broad", text))
        timings.append((time.perf_counter() - started) * 1000)
    connection.close()
    copy.unlink()
    return build_seconds, timings, hits


def pdf_phases(server, pools, texts, arguments, trivial_rate, scripts_folder):
    """The first uncached PDF, the cached PDF against the trivial route, the PDF mix and FTS5; return failures."""
    failures = []
    print(f"\nfirst uncached PDFs, one after the other (load average {load_average()}):")
    seconds = []
    for path in pools["first pdf"]:
        status, elapsed, size = timed_get(server.base_url + path)
        print(f"  {path}: {status}, {elapsed:.2f} s, {size / 1024:.0f} KB")
        if status != 200:
            failures.append(f"first PDF {path} answered {status}")
        seconds.append(elapsed)
    if seconds:
        median = statistics.median(seconds)
        verdict = "met" if median <= FIRST_PDF_GOAL_SECONDS else "MISSED"
        print(f"first uncached PDF: median {median:.2f} s, max {max(seconds):.2f} s "
              f"(goal: median <= {FIRST_PDF_GOAL_SECONDS} s) {verdict}")
        if median > FIRST_PDF_GOAL_SECONDS:
            failures.append(f"first uncached PDF median {median:.2f} s > {FIRST_PDF_GOAL_SECONDS}")

    rendered = pools["pdf"][arguments.uncached_pdfs:]
    started = time.perf_counter()
    statuses = render_pool(server.base_url, rendered)
    print(f"\npre-rendered {len(rendered)} PDFs of the pool in {time.perf_counter() - started:.0f} s: {statuses}")
    if set(statuses) != {200}:
        failures.append(f"pre-rendering the PDF pool answered {statuses}")
    script = write_lua(rendered, scripts_folder, "cached-pdf.lua")
    settle(server.base_url)
    rate, non_success, socket_errors = wrk_script(server.base_url + "/", script, arguments.cached_pdf_duration,
                                                  arguments.pdf_connections, arguments.threads)
    ratio = rate / trivial_rate
    verdict = "met" if ratio >= CACHED_PDF_RATIO_GOAL and not non_success and not socket_errors else "MISSED"
    print(f"cached PDF: {rate:.0f} req/s, {ratio:.2f} of the trivial route ({trivial_rate:.0f} req/s; "
          f"goal >= {CACHED_PDF_RATIO_GOAL}); non-2xx/3xx {non_success}; {socket_errors or 'no socket errors'} "
          f"{verdict}")
    if verdict != "met":
        failures.append(f"cached PDF {ratio:.2f} of the trivial route (goal {CACHED_PDF_RATIO_GOAL}), "
                        f"{non_success} non-2xx/3xx, {socket_errors or 'no socket errors'}")

    paths = weighted_paths(pools, PDF_MIX, 4000, arguments.seed)
    script = write_lua(paths, scripts_folder, "pdf-mix.lua")
    label = f"PDF mix {PDF_MIX['search']}/{PDF_MIX['report']}/{PDF_MIX['pdf']} search/report/PDF"
    _, mix_failures, served = run_mix(
        server, script, label, arguments.pdf_duration, arguments.pdf_connections, arguments.threads,
        routes=("search", "report", "pdf"),
        p99_goals={"search": PDF_MIX_SEARCH_P99_GOAL_MS},
    )
    failures += mix_failures
    print(f"{served:,} requests of the PDF mix served")

    build_seconds, timings, hits = fts5_baseline(server, texts)
    print(f"\nSQLite FTS5 trigram on the same {len(timings)} search strings, in process (no HTTP, no page): "
          f"build {build_seconds:.1f} s; p50 {percentile(timings, 0.5):.1f} ms, p95 {percentile(timings, 0.95):.1f} ms, "
          f"p99 {percentile(timings, 0.99):.1f} ms; mean hits {statistics.mean(hits):.0f}")
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orgs", type=int, default=60000)
    parser.add_argument("--duration", type=int, default=60, help="seconds of each public mix run (default 60)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections of the public mix (default 16)")
    parser.add_argument("--pdf-duration", type=int, default=60, help="seconds of the PDF mix (default 60)")
    parser.add_argument("--pdf-connections", type=int, default=32,
                        help="wrk connections of the PDF mix and the cached PDF (default 32)")
    parser.add_argument("--cached-pdf-duration", type=int, default=10)
    parser.add_argument("--pdf-orgs", type=int, default=60, help="organisations whose PDFs the PDF mix asks for")
    parser.add_argument("--uncached-pdfs", type=int, default=10,
                        help="of those, how many are not rendered before the PDF mix (default 10)")
    parser.add_argument("--first-pdfs", type=int, default=5, help="first uncached PDFs timed one by one (default 5)")
    parser.add_argument("--phases", default="pdf,public", help="pdf, public or both (default pdf,public)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=11)
    arguments = parser.parse_args()
    phases = set(arguments.phases.split(","))
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")

    server = LoadServer(orgs=arguments.orgs, seed=1, workers=None, wsgi_app="bench.trivial_app:app",
                        python_path=ROOT, access_log=True)
    failures = []
    print("correct responses: 2xx and 3xx; a 404 of a report or PDF of an organisation no longer published "
          "when the run ends; anything else (503 and 429 included) is an error")
    with server:
        print(f"{arguments.orgs:,} organisations; gunicorn at {server.base_url}; load average {load_average()}")
        pools, texts = build_pools(server, arguments.seed, arguments.pdf_orgs, arguments.first_pdfs)
        scripts_folder = Path(tempfile.mkdtemp(prefix="portal-load-", dir=server.folder))
        script = write_lua(weighted_paths(pools, MIX, 4000, arguments.seed), scripts_folder)
        # Warm every worker's caches a little, as a server that has been up a while has them.
        wrk_script(server.base_url + "/", script, 5, arguments.connections, arguments.threads)

        for connections in sorted({arguments.connections, arguments.pdf_connections}):
            settle(server.base_url)
            trivial, _ = wrk(server.base_url + "/bench-trivial", 10, connections, arguments.threads)
            print(f"\ntrivial route, {connections} connections: {trivial['requests_per_second']:.0f} req/s, "
                  f"p99 {trivial['p99_ms']:.1f} ms (the ceiling of this server on this machine)")
            if connections == arguments.pdf_connections:
                trivial_pdf_rate = trivial["requests_per_second"]
            if connections == arguments.connections:
                trivial_rate = trivial["requests_per_second"]

        if "pdf" in phases:
            failures += pdf_phases(server, pools, texts, arguments, trivial_pdf_rate, scripts_folder)
        if "public" not in phases:
            finish(failures)
            return

        public_goals = {route: P99_GOAL_MS for route in MIX}
        rate, quiet_failures, _ = run_mix(server, script, "mix without a sync", arguments.duration,
                                          arguments.connections, arguments.threads, MIX, public_goals)
        failures += quiet_failures
        print(f"ratio to the trivial route: {rate / trivial_rate:.2f}")

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
            rate, sync_failures, _ = run_mix(server, script, "mix with a 5% sync in the middle", arguments.duration,
                                             arguments.connections, arguments.threads, MIX, public_goals,
                                             during=sync_in_the_middle)
        failures += sync_failures
        print(f"ratio to the trivial route: {rate / trivial_rate:.2f}")
        print(f"sync during the run: {sync_output.get('seconds', 0):.1f} s: {sync_output.get('summary')}")
        # "New" is what the sync published, not the scoring database's row: a row the sync rejected
        # (quarantine) keeps the organisation's published score, and its page is rightly new time, old score.
        published_now = published_scores(server, list(expected))
        checker.expected = {uscc: (old, published_now.get(uscc, new)) for uscc, (old, new) in expected.items()}
        times, mixed = checker.verdict(old_as_of)
        print(f"consistency: {checker.checked} report pages of {len(expected)} changing organisations read; "
              f"{len(times)} data-as-of times seen; {len(mixed)} half-updated pages")
        if len(times) != 2:
            failures.append(f"the checker saw {len(times)} data-as-of times, not the old and the new one")
        if mixed:
            failures.append(f"{len(mixed)} half-updated pages, e.g. {mixed[:3]}")
    finish(failures)


def finish(failures):
    """Print the verdict; exit 1 if any goal was missed."""
    print(f"\nload average at the end: {load_average()}")
    if failures:
        print("goals missed:\n  " + "\n  ".join(failures))
        sys.exit(1)
    print("all goals met")


if __name__ == "__main__":
    main()
