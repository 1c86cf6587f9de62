"""National scale on PostgreSQL: 900,000 organisations, full sync, index build, a 2% night, search.

    .venv/bin/python bench/national.py                          # 900,000 (and 90,000 for memory)
    .venv/bin/python bench/national.py --sizes 60000 --queries 50

For each size N it generates a demo scoring database of N organisations with
their events and list entries in PostgreSQL, then, each command in its own
process exactly as a node runs it (so that its peak memory is its own):

- the raw-read baseline: every scoring row the sync reads, streamed, nothing else;
- ``flask sync run --no-index``: the first, full sync into a PostgreSQL portal DB;
- ``flask search rebuild``: the index build, and the index's size on disk;
- ``flask demo advance-night --changes-percent 2`` then ``flask sync run``:
  a nightly delta of 2% including the index catch-up;
- search latency (p50/p99) with facets and highlights, per query class.

Goals on the 2-core machine at 900,000: full sync plus index within 20
minutes; nightly delta within 2 minutes; search p99 <= 250 ms; sync memory
flat in N (the peak RSS at the largest size at most 1.5× the smallest's).
Every size is checked: a smaller one is held to the same rate (20 min × N /
900,000, at least 1 min; 2 min × N / 900,000, at least 15 s). The baseline is
like for like: the raw read runs in a process of its own that loads the app
first, as each measured ``flask`` command does. Ends with a verdict; exits 1
if a goal is missed.
"""

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.sync import Databases, raw_read  # noqa: E402
from bench.verdict import Goals  # noqa: E402
from portal.demo.generator import generate_scoring_db  # noqa: E402

#: Seconds at 900,000; a smaller run is held to the same rate (the goal scaled by N / 900,000),
#: with a floor for the fixed costs (process start-up, schema, jieba): the run of ``make bench`` can miss too.
GOALS = {"full sync + index": 20 * 60, "nightly delta (2%)": 120}
GOAL_FLOORS = {"full sync + index": 60, "nightly delta (2%)": 15}
SEARCH_P99_GOAL_MS = 250.0
#: Peak RSS of the sync at the largest size over the smallest: memory flat in N.
MEMORY_GROWTH_GOAL = 1.5


def scaled_goal(name, size):
    """Return the goal in seconds of measure ``name`` at ``size`` organisations, or None if it has none."""
    if name not in GOALS:
        return None
    return max(GOAL_FLOORS[name], GOALS[name] * size / 900_000)


#: Runs a command and prints its own peak RSS (KB) last on stderr: each command is measured alone.
_MEASURED = (
    "import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(code)"
)


def flask(env, *arguments):
    """Run a flask command in its own process; return (seconds, its peak RSS in MB, its last line of output)."""
    return measured(env, [str(ROOT / ".venv" / "bin" / "flask"), "--app", "app", *arguments])


def raw_read_in_process_like_flask(env):
    """The baseline, like for like: a process that loads the app as ``flask`` does, then reads the rows raw."""
    return measured(env, [sys.executable, str(Path(__file__).resolve()), "--raw-read-of", env["SCORING_DATABASE_URL"]])


def measured(env, arguments):
    """Run ``arguments`` in a process of its own; return (seconds, its peak RSS in MB, its last line of output)."""
    command = [sys.executable, "-c", _MEASURED, *arguments]
    started = time.perf_counter()
    completed = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if completed.returncode != 0:
        raise SystemExit(f"{' '.join(arguments)} failed:\n{completed.stdout[-2000:]}\n{completed.stderr[-2000:]}")
    peak_mb = int(completed.stderr.strip().splitlines()[-1]) / 1024
    lines = completed.stdout.strip().splitlines()
    return seconds, peak_mb, lines[-1] if lines else ""


def folder_mb(path):
    return sum(file.stat().st_size for file in Path(path).rglob("*") if file.is_file()) / 2**20


def search_latencies(env, queries_per_class, seed):
    """Time service.search for a few query classes in this process, against the built index."""
    os.environ.update({key: env[key] for key in ("PORTAL_DATABASE_URL", "SCORING_DATABASE_URL", "INDEX_DIR",
                                                "JIEBA_CACHE_DIR")})
    from portal import create_app
    from portal.extensions import db
    from portal.search import index as search_index
    from portal.search import service

    app = create_app()
    generator = random.Random(seed)
    with app.app_context():
        rows = db.session.execute(
            sa.text("SELECT uscc, name, name_pinyin FROM organisations WHERE is_published ORDER BY random() LIMIT 2000")
        ).all()
        sample = [generator.choice(rows) for _ in range(queries_per_class)]
        classes = {
            "2-character word": [name[-4:-2] for _, name, _ in sample],
            "whole name": [name for _, name, _ in sample],
            "pinyin": [" ".join((pinyin or "").split()[:4]) for _, _, pinyin in sample],
            "USCC prefix": [uscc[:8] for uscc, _, _ in sample],
            "USCC exact": [uscc.lower() for uscc, _, _ in sample],
        }
        index_dir = app.config["INDEX_DIR"]
        searcher = search_index.open_searcher(index_dir)
        service.search("北京", searcher=searcher)  # orders and facet bitmaps, once per index state
        searcher.close()
        results = {}
        for name, texts in classes.items():
            timings = []
            for text in texts:
                started = time.perf_counter()
                searcher = search_index.open_searcher(index_dir)
                service.search(text, searcher=searcher, locale="zh")
                searcher.close()
                timings.append((time.perf_counter() - started) * 1000)
            timings.sort()
            results[name] = (statistics.median(timings), timings[min(len(timings) - 1, round(0.99 * (len(timings) - 1)))])
        db.session.remove()
        db.engine.dispose()
    return results


def run(size, seed, queries, workdir, goals):
    databases = Databases("postgresql", workdir)
    try:
        started = time.perf_counter()
        generated = generate_scoring_db(databases.scoring, orgs=size, seed=seed)
        print(f"generated {size:,} organisations in {time.perf_counter() - started:.0f} s "
              f"({generated.get('events', '?')} events)", flush=True)
        env = {key: value for key, value in os.environ.items() if key not in ("PORTAL_ENV", "SECRET_KEY")}
        env.update(PORTAL_DATABASE_URL=databases.portal, SCORING_DATABASE_URL=databases.scoring,
                   INDEX_DIR=os.path.join(workdir, "index"), JIEBA_CACHE_DIR=workdir)
        flask(env, "db", "upgrade")

        raw_read(databases.scoring)  # warm: both sides read warm data
        # Each flask command's time includes its process start-up and the app's import, and so does the
        # baseline's: the raw read runs in a process that loads the app first, as flask does.
        results = {"raw read (baseline)": raw_read_in_process_like_flask(env)}
        baseline = results["raw read (baseline)"][0]
        results["full sync"] = flask(env, "sync", "run", "--no-index")
        results["index build"] = flask(env, "search", "rebuild")
        results["full sync + index"] = (results["full sync"][0] + results["index build"][0], float("nan"), "")
        index_mb = folder_mb(env["INDEX_DIR"])
        night = flask(env, "demo", "advance-night", "--changes-percent", "2")
        print(f"advance-night: {night[2]}", flush=True)
        results["nightly delta (2%)"] = flask(env, "sync", "run")

        print(f"\n{size:,} organisations on PostgreSQL; load average {os.getloadavg()[0]:.2f}")
        print(f"  {'measure':<22} {'seconds':>8} {'× raw':>7} {'peak RSS':>9}  goal / output")
        for name, (seconds, peak_mb, line) in results.items():
            goal = scaled_goal(name, size)
            verdict = ""
            if goal is not None:
                ok = goals.check(seconds <= goal, f"{size:,}: {name} {seconds:.1f} s (goal ≤ {goal:.0f} s, "
                                                  f"{GOALS[name]:.0f} s at 900,000 scaled)")
                verdict = f"≤ {goal:.0f} s {'met' if ok else 'MISSED'}"
            rss = f"{peak_mb:.0f} MB" if peak_mb == peak_mb else "-"
            print(f"  {name:<22} {seconds:8.1f} {seconds / baseline:6.1f}× {rss:>9}  {verdict} {line[:110]}")
        print(f"  index size on disk: {index_mb:.0f} MB")
        latencies = search_latencies(env, queries, seed)
        print(f"  search ({queries} queries per class, facets and highlights on):")
        for name, (p50, p99) in latencies.items():
            verdict = "met" if goals.check(p99 <= SEARCH_P99_GOAL_MS, f"{size:,}: search {name} p99 {p99:.1f} ms "
                                                                      f"(goal ≤ {SEARCH_P99_GOAL_MS:.0f} ms)") else "MISSED"
            print(f"    {name:<18} p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  (≤ {SEARCH_P99_GOAL_MS:.0f} ms {verdict})")
        return results["full sync"][1]
    finally:
        databases.drop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="90000,900000", help="comma-separated sizes (default 90000,900000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--queries", type=int, default=100, help="measured queries per search class (default 100)")
    parser.add_argument("--raw-read-of", metavar="URL", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.raw_read_of:
        import app  # noqa: F401 (loaded as flask loads it, so that the baseline's start-up is the commands')

        seconds, rows = raw_read(arguments.raw_read_of)
        print(f"{rows:,} rows read in {seconds:.1f} s")
        return
    goals = Goals()
    peaks = {}
    for size in (int(value) for value in arguments.sizes.split(",")):
        workdir = tempfile.mkdtemp(prefix="bench-national-")
        try:
            peaks[size] = run(size, arguments.seed, arguments.queries, workdir, goals)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    if len(peaks) > 1:
        small, large = min(peaks), max(peaks)
        growth = peaks[large] / peaks[small]
        print(f"\nsync peak RSS: {peaks[small]:.0f} MB at {small:,}, {peaks[large]:.0f} MB at {large:,} "
              f"({growth:.2f}× for {large / small:.1f}× the organisations)")
        goals.check(growth <= MEMORY_GROWTH_GOAL, f"sync peak RSS {growth:.2f}× from {small:,} to {large:,} "
                                                  f"(goal ≤ {MEMORY_GROWTH_GOAL}×: flat)")
    goals.finish()


if __name__ == "__main__":
    main()
