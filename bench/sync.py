"""Benchmark the nightly sync on SQLite and PostgreSQL.

For each backend it generates a demo scoring database of N organisations
(with their events and list entries), then measures:

- the baseline: a raw full read of the same scoring tables (SQLAlchemy Core, no processing);
- a full sync without the index build, and the index build after it;
- a nightly delta (``advance-night``, about 5% changed) including the index catch-up;
- the weekly full reconciliation that follows it (every row read again, nothing changed).

and prints each time with its ratio to the raw read measured in the same run, of the
same rows (read again after the night for the delta and the reconciliation), then a
verdict; it exits 1 if a goal is missed.

    .venv/bin/python bench/sync.py                      # 60,000 organisations, both backends
    .venv/bin/python bench/sync.py --orgs 12000 --backends sqlite
    .venv/bin/python bench/sync.py --no-index           # the sync alone: no index build, a delta without catch-up
"""

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import sqlalchemy as sa  # noqa: E402

from portal import create_app  # noqa: E402
from portal.demo.generator import advance_night, generate_scoring_db  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.scoring import dispose_engines, schema  # noqa: E402
from portal.search import index as search_index  # noqa: E402
from portal.sync.service import run_sync  # noqa: E402
from bench.verdict import Goals  # noqa: E402

PG_URL = os.environ.get("BENCH_POSTGRESQL_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

TARGETS = {
    "full sync without index": ("ratio", 3.0),
    "index build": ("seconds", 60.0),
    "nightly delta with index": ("seconds", 15.0),
}


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def raw_read(url):
    """Read every row the sync reads, and nothing else: the baseline."""
    engine = sa.create_engine(url)
    started = time.perf_counter()
    rows = 0
    with engine.connect() as connection:
        joined = sa.select(schema.organisations, schema.credit_scores).select_from(
            schema.organisations.outerjoin(
                schema.credit_scores, schema.credit_scores.c.uscc == schema.organisations.c.uscc
            )
        )
        for statement in (
            joined,
            sa.select(schema.credit_events),
            sa.select(schema.list_entries),
        ):
            result = connection.execution_options(stream_results=True, yield_per=2000).execute(statement)
            for partition in result.partitions(2000):
                rows += len(partition)
    engine.dispose()
    return time.perf_counter() - started, rows


class Databases:
    """A scoring database and a portal database on one backend, removed afterwards."""

    def __init__(self, backend, workdir):
        self.backend = backend
        self.schemas = []
        if backend == "sqlite":
            self.scoring = f"sqlite:///{os.path.join(workdir, 'scoring.db')}"
            self.portal = f"sqlite:///{os.path.join(workdir, 'portal.db')}"
        else:
            self.admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
            self.scoring = self._schema("bench_scoring")
            self.portal = self._schema("bench_portal")

    def _schema(self, prefix):
        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        with self.admin.connect() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{name}"'))
        self.schemas.append(name)
        return f"{PG_URL}?options=-csearch_path%3D{name}"

    def drop(self):
        if self.backend == "postgresql":
            with self.admin.connect() as connection:
                for name in self.schemas:
                    connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
            self.admin.dispose()


def measure(backend, orgs, seed, workdir, index=True):
    databases = Databases(backend, workdir)
    try:
        engine = sa.create_engine(databases.scoring)
        schema.scoring_metadata.create_all(engine)
        engine.dispose()
        started = time.perf_counter()
        generated = generate_scoring_db(databases.scoring, orgs=orgs, seed=seed)
        print(f"  generated demo scoring db in {time.perf_counter() - started:.1f} s: {generated}")

        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": databases.portal,
                "SCORING_DATABASE_URL": databases.scoring,
                "INDEX_DIR": os.path.join(workdir, "index"),
                "SYNC_RETRIES": 1,
            }
        )
        with app.app_context():
            db.create_all()

        raw_read(databases.scoring)  # warm the caches: both sides then read warm data
        baseline, rows = raw_read(databases.scoring)
        results = {"raw read (baseline)": (baseline, rows)}

        with app.app_context():
            started = time.perf_counter()
            result = run_sync(full=True, trigger="bench", update_index=False)
            full = time.perf_counter() - started
            assert result.status == "succeeded", result.error
            results["full sync without index"] = (full, result.rows_read)

            if index:
                started = time.perf_counter()
                built = search_index.rebuild(app.config["INDEX_DIR"], db.session)
                results["index build"] = (time.perf_counter() - started, built.get("documents"))
                results["full sync with index"] = (full + results["index build"][0], result.rows_read)

        night = advance_night(databases.scoring, seed=seed, changes_percent=5.0)
        print(f"  advanced one night: {night}")
        # The night's rows are the ones the delta and the reconciliation read: their baseline is read again.
        raw_read(databases.scoring)
        results["raw read after the night (baseline)"] = raw_read(databases.scoring)
        with app.app_context():
            started = time.perf_counter()
            result = run_sync(trigger="bench", update_index=index)
            delta = time.perf_counter() - started
            assert result.status == "succeeded", result.error
            assert not (result.index or {}).get("error"), result.index
            results[f"nightly delta {'with' if index else 'without'} index"] = (delta, result.rows_read)
            print(f"  {result.summary()}")

            started = time.perf_counter()
            result = run_sync(full=True, trigger="bench", update_index=index)
            assert result.status == "succeeded", result.error
            results["weekly full reconciliation"] = (time.perf_counter() - started, result.rows_read)
            db.session.remove()
            db.engine.dispose()
        dispose_engines()
        return results
    finally:
        databases.drop()


#: The measures after the night, divided by the raw read of the same (advanced) rows.
_AFTER_THE_NIGHT = ("nightly delta with index", "nightly delta without index", "weekly full reconciliation")


def report(backend, orgs, results, goals):
    print(f"\n{backend}, {orgs:,} organisations (peak RSS so far {peak_rss_mb():.0f} MB)")
    print(f"  {'measure':<36} {'seconds':>9} {'rows':>9} {'× raw read':>11}  target")
    for name, (seconds, rows) in results.items():
        after = name in _AFTER_THE_NIGHT or name.startswith("raw read after")
        baseline = results["raw read after the night (baseline)" if after else "raw read (baseline)"][0]
        target = ""
        if name in TARGETS:
            kind, limit = TARGETS[name]
            value = seconds / baseline if kind == "ratio" else seconds
            ok = goals.check(value <= limit, f"{backend} {name}: {value:.2f}{'×' if kind == 'ratio' else ' s'} "
                                             f"(goal ≤ {limit:g}{'×' if kind == 'ratio' else ' s'})")
            target = f"≤ {limit:g}{'×' if kind == 'ratio' else ' s'} {'ok' if ok else 'MISSED'}"
        rows_text = f"{rows:,}" if isinstance(rows, int) else "-"
        print(f"  {name:<36} {seconds:>9.2f} {rows_text:>9} {seconds / baseline:>10.1f}×  {target}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=60000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--no-index", action="store_true", help="measure the sync alone: no index build or catch-up")
    args = parser.parse_args()
    goals = Goals()
    for backend in args.backends.split(","):
        workdir = tempfile.mkdtemp(prefix=f"bench-sync-{backend}-")
        try:
            print(f"== {backend}: {args.orgs:,} organisations, seed {args.seed}")
            results = measure(backend, args.orgs, args.seed, workdir, index=not args.no_index)
            report(backend, args.orgs, results, goals)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    goals.finish()


if __name__ == "__main__":
    main()
