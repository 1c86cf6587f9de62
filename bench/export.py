"""Benchmark the bulk downloads (CSV and JSON Lines) against a plain cursor and csv.writer.

For each size it generates a demo scoring database of N organisations, syncs
it into a fresh portal database (without the index), and then measures, in
the same run:

- the baseline: the same published rows read with a plain DB-API cursor
  (fetchmany, USCC order) and written with csv.writer to a UTF-8 file,
  nothing else (no formatting, no BOM, no hash);
- the export service writing the CSV only, the JSON Lines only, and both in
  one pass (what runs after each sync), each including its SHA-256 and fsync;

with the time, its ratio to the baseline, and the peak memory that Python
allocated during the run (tracemalloc, in a separate pass so that it does
not slow the timed one). The target is ≤ 2× the baseline and memory flat in N.

    .venv/bin/python bench/export.py                          # 60,000 and 900,000 on SQLite
    .venv/bin/python bench/export.py --sizes 60000,240000 --backends sqlite,postgresql
"""

import argparse
import csv
import gc
import os
import shutil
import sys
import tempfile
import time
import tracemalloc

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import sqlalchemy as sa  # noqa: E402

from bench.verdict import Goals  # noqa: E402
from portal import create_app  # noqa: E402
from portal.demo.generator import generate_scoring_db  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.opendata import downloads  # noqa: E402
from portal.scoring import dispose_engines, schema  # noqa: E402
from portal.sync.service import run_sync  # noqa: E402
from bench.sync import Databases  # noqa: E402  (the same throwaway databases as the sync bench)

TARGET_RATIO = 2.0

BASELINE_SQL = (
    "SELECT uscc, name, grade, score, org_type, district_code, evaluation_level, evaluation_valid_until, "
    "registration_authority, registered_on, published_since FROM organisations "
    "WHERE is_published = {true} ORDER BY uscc"
)


def baseline(folder, chunk_size):
    """Read the published rows with a plain cursor and write them with csv.writer; return the row count."""
    connection = db.engine.raw_connection()
    try:
        postgresql = db.engine.dialect.name == "postgresql"
        # A named cursor is PostgreSQL's server-side cursor, as the export uses.
        cursor = connection.cursor(name="baseline") if postgresql else connection.cursor()
        cursor.execute(BASELINE_SQL.format(true="true" if postgresql else "1"))
        rows = 0
        with open(os.path.join(folder, "baseline.csv"), "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(downloads.COLUMNS[:11])
            while chunk := cursor.fetchmany(chunk_size):
                writer.writerows(chunk)
                rows += len(chunk)
        cursor.close()
        connection.rollback()
    finally:
        connection.close()
    return rows


def export(folder, formats, chunk_size):
    result = downloads.export_downloads(formats=formats, chunk_size=chunk_size, folder=folder, swap=False)
    return result.rows


def timed(function, *args):
    gc.collect()
    started = time.perf_counter()
    rows = function(*args)
    return time.perf_counter() - started, rows


def peak_memory(function, *args):
    gc.collect()
    tracemalloc.start()
    try:
        function(*args)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def measure(backend, orgs, seed, chunk_size, workdir, repeats):
    databases = Databases(backend, workdir)
    try:
        engine = sa.create_engine(databases.scoring)
        schema.scoring_metadata.create_all(engine)
        engine.dispose()
        started = time.perf_counter()
        generate_scoring_db(databases.scoring, orgs=orgs, seed=seed)
        print(f"  generated {orgs:,} organisations in {time.perf_counter() - started:.0f} s", flush=True)
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": databases.portal,
                "SCORING_DATABASE_URL": databases.scoring,
                "INDEX_DIR": os.path.join(workdir, "index"),
                "DOWNLOADS_DIR": os.path.join(workdir, "downloads"),
                "DOWNLOADS_AFTER_SYNC": False,
                "SYNC_RETRIES": 1,
            }
        )
        with app.app_context():
            db.create_all()
            started = time.perf_counter()
            result = run_sync(full=True, trigger="bench", update_index=False)
            assert result.status == "succeeded", result.error
            print(f"  synced in {time.perf_counter() - started:.0f} s: {result.published_count:,} published", flush=True)
            out = os.path.join(workdir, "out")
            os.makedirs(out)
            cases = {
                "baseline: cursor + csv.writer": lambda: baseline(out, chunk_size),
                "export CSV": lambda: export(out, ("csv",), chunk_size),
                "export JSONL": lambda: export(out, ("jsonl",), chunk_size),
                "export CSV + JSONL (one pass)": lambda: export(out, ("csv", "jsonl"), chunk_size),
            }
            baseline(out, chunk_size)  # warm the database's pages: every case then reads warm data
            results = {}
            for _ in range(repeats):
                for name, case in cases.items():
                    seconds, rows = timed(case)
                    best = results.get(name, (float("inf"), rows))[0]
                    results[name] = (min(seconds, best), rows)
            memory = {name: peak_memory(case) for name, case in cases.items()}
            sizes = {
                name: os.path.getsize(os.path.join(generation, name))
                for generation in sorted(
                    (entry.path for entry in os.scandir(out) if entry.name.startswith("gen-")), key=os.path.getmtime
                )[-1:]
                for name in (downloads.CSV_FILE, downloads.JSONL_FILE)
            }
            db.session.remove()
            db.engine.dispose()
        dispose_engines()
        return results, memory, sizes
    finally:
        databases.drop()


def report(backend, orgs, results, memory, sizes, goals):
    base = results["baseline: cursor + csv.writer"][0]
    print(f"\n{backend}, {orgs:,} organisations generated; file sizes: "
          + ", ".join(f"{name} {size / 1e6:.1f} MB" for name, size in sizes.items()))
    print(f"  {'measure':<32} {'seconds':>8} {'rows':>9} {'× baseline':>11} {'peak MB':>8}  target ≤ {TARGET_RATIO:g}×")
    for name, (seconds, rows) in results.items():
        ratio = seconds / base
        verdict = ""
        if not name.startswith("baseline"):
            ok = goals.check(ratio <= TARGET_RATIO, f"{backend} {orgs:,}: {name} {ratio:.2f}× the baseline "
                                                    f"(goal ≤ {TARGET_RATIO:g}×)")
            verdict = "ok" if ok else "MISSED"
        print(f"  {name:<32} {seconds:>8.2f} {rows:>9,} {ratio:>10.2f}× {memory[name] / 1e6:>8.1f}  {verdict}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="60000,900000")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--backends", default="sqlite")
    parser.add_argument("--chunk-size", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=2, help="Timed runs of each case; the best is kept.")
    args = parser.parse_args()
    goals = Goals()
    for backend in args.backends.split(","):
        for orgs in (int(size) for size in args.sizes.split(",")):
            workdir = tempfile.mkdtemp(prefix=f"bench-export-{backend}-")
            try:
                print(f"== {backend}: {orgs:,} organisations, seed {args.seed}", flush=True)
                results, memory, sizes = measure(backend, orgs, args.seed, args.chunk_size, workdir, args.repeats)
                report(backend, orgs, results, memory, sizes, goals)
            finally:
                shutil.rmtree(workdir, ignore_errors=True)
    goals.finish()


if __name__ == "__main__":
    main()
