"""Benchmark the search service against SQLite FTS5 (trigram) on the same data and queries.

    .venv/bin/python bench/search.py                          # 60,000 organisations
    .venv/bin/python bench/search.py --sizes 60000,900000     # and 900,000 (the build takes long)
    .venv/bin/python bench/search.py --sizes 900000 --keep    # keep the folder ...
    .venv/bin/python bench/search.py --reuse /tmp/search-bench-XXXX   # ... and query it again
    .venv/bin/python bench/search.py --sizes 900000 --reuse /tmp/search-bench-XXXX --rebuild --skip-fts
        # ... or build its index again from its organisations (generating 900,000 takes 7 minutes)

For each size it generates that many published organisations (the realistic
synthetic rows of ``bench/index_build.py``) in a temporary SQLite portal DB,
builds the Whoosh index with ``portal.search.index.rebuild`` and an FTS5
trigram table of the same names, former names, legal representatives, codes,
pinyin and initials, and prints both build times. Then, per query class, it
draws queries from the data (a separate warm-up sample first, then
``--queries`` measured ones) and times:

- ``portal.search.service.search``: page 1 of 20 by relevance, with the four
  facets' counts and highlighted names and snippets, on a new searcher per
  query (as a request would);
- FTS5, the baseline, doing the equivalent work: the matches (MATCH on the
  trigram table, or, for terms shorter than a trigram, MATCH on a second FTS5
  table of the names' 1- and 2-character grams: FTS5's natural best query,
  not a LIKE scan), the counts per combination of the four
  facets (one GROUP BY, summed per facet as the published list does), and the
  page of 20 by bm25 with highlight(); codes go through the table's index.

It prints p50 and p99 for each, the p99 of each query's own CPU time (the
thread's; on a machine shared with other work, the wall-clock latency also
holds the time spent waiting for a core), the ratio (search / FTS5), and the
mean number of hits of each beside the latencies (the two do not match the
same sets: FTS5 matches substrings, the search matches words, bigrams, pinyin
and homophones). It ends with a verdict and exits 1 if a p99 goal is missed. The first
query on a new index state also computes the sort orders (once per process
per index state); it is reported on its own as "first query".
"""

import argparse
import os
import random
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from index_build import fill_database  # noqa: E402
from verdict import Goals  # noqa: E402

from portal import create_app  # noqa: E402
from portal.extensions import db  # noqa: E402

CLASSES = (
    "2-character name",
    "3+-character name",
    "two terms",
    "USCC exact",
    "USCC prefix",
    "pinyin",
    "pinyin initials",
    "homophone typo",
    "broad",
)
BROAD = ("bj", "5111", "青少年发展", "北京", "beijing", "协会", "北京市朝阳区")
TARGET_MS = {60000: 50.0, 900000: 250.0}


def is_han(character):
    return "\u3400" <= character <= "\u9fff" or "\uf900" <= character <= "\ufaff"


# -- queries drawn from the data ------------------------------------------------


def load_rows(portal_db):
    connection = sqlite3.connect(portal_db)
    rows = connection.execute("SELECT uscc, name FROM organisations WHERE is_published").fetchall()
    connection.close()
    return rows


def _han_part(name):
    """The part of a name after its place prefix (北京市朝阳区...), where the distinctive words are."""
    for prefix in ("北京市", "北京"):
        if name.startswith(prefix):
            name = name[len(prefix) :]
            break
    if len(name) > 3 and name[2] == "区":
        name = name[3:]
    elif len(name) > 4 and name[3] == "区":
        name = name[4:]
    return "".join(character for character in name if is_han(character))


def _substring(rng, text, low, high):
    length = rng.randint(low, min(high, len(text)))
    start = rng.randint(0, len(text) - length)
    return text[start : start + length]


def homophones(rows):
    """Return {character: [other characters with the same toneless reading]} over the names."""
    from pypinyin import lazy_pinyin

    by_reading = {}
    for _, name in rows[:20000]:
        for character in name:
            if is_han(character):
                by_reading.setdefault(lazy_pinyin(character)[0], set()).add(character)
    return {
        character: sorted(group - {character})
        for group in by_reading.values()
        for character in group
        if len(group) > 1
    }


def draw_queries(rows, count, seed, homophone_map):
    """Return {class: [queries]} drawn from published rows."""
    from portal.chinese import name_readings

    rng = random.Random(seed)
    queries = {name: [] for name in CLASSES}
    names = [name for _, name in rows]
    usccs = [uscc for uscc, _ in rows]
    while min(len(found) for found in queries.values()) < count:
        name = rng.choice(names)
        part = _han_part(name)
        if len(part) >= 2:
            queries["2-character name"].append(_substring(rng, part, 2, 2))
        if rng.random() < 0.3:
            queries["3+-character name"].append(name)
        elif len(part) >= 3:
            queries["3+-character name"].append(_substring(rng, part, 3, 8))
        if len(part) >= 5:
            first = _substring(rng, part[: len(part) // 2], 2, 3)
            second = _substring(rng, part[len(part) // 2 :], 2, 3)
            queries["two terms"].append(f"{first} {second}")
        uscc = rng.choice(usccs)
        queries["USCC exact"].append(uscc if rng.random() < 0.8 else uscc.lower())
        queries["USCC prefix"].append(uscc[: rng.choice((4, 6, 8, 10, 12, 14, 16))])
        if len(part) >= 3:
            piece = _substring(rng, part, 3, 6)
            syllables = name_readings(piece).syllables
            queries["pinyin"].append(("".join(syllables) if rng.random() < 0.5 else " ".join(syllables)))
            queries["pinyin initials"].append(name_readings(_substring(rng, part, 3, 6)).initials)
            typo_at = [i for i, character in enumerate(piece) if homophone_map.get(character)]
            if typo_at:
                i = rng.choice(typo_at)
                typo = piece[:i] + rng.choice(homophone_map[piece[i]]) + piece[i + 1 :]
                queries["homophone typo"].append(typo)
        queries["broad"].append(rng.choice(BROAD))
    return {name: found[:count] for name, found in queries.items()}


# -- building --------------------------------------------------------------------


def short_grams(text):
    """Return the 1- and 2-character grams of ``text``'s runs of letters, separated by spaces."""
    grams = []
    for run in "".join(character if character.isalnum() else " " for character in text.lower()).split():
        grams += list(run) + [run[index:index + 2] for index in range(len(run) - 1)]
    return " ".join(grams)


def build_fts(portal_db):
    """Create the FTS5 trigram table beside the organisations; return seconds."""
    from portal.chinese import name_readings

    started = time.perf_counter()
    connection = sqlite3.connect(portal_db)
    connection.execute("DROP TABLE IF EXISTS search_fts")
    connection.execute(
        "CREATE VIRTUAL TABLE search_fts USING fts5("
        "name, former_names, legal_representative, uscc, name_pinyin, name_initials, tokenize='trigram')"
    )
    rows = connection.execute(
        "SELECT rowid, name, former_names, legal_representative, uscc FROM organisations WHERE is_published"
    )
    batch = []
    for rowid, name, former_names, person, uscc in rows:
        readings = name_readings(name)
        batch.append((rowid, name, former_names or "", person or "", uscc, "".join(readings.syllables), readings.initials))
        if len(batch) == 5000:
            connection.executemany("INSERT INTO search_fts(rowid, name, former_names, legal_representative, uscc, name_pinyin, name_initials) VALUES (?, ?, ?, ?, ?, ?, ?)", batch)
            batch = []
    if batch:
        connection.executemany("INSERT INTO search_fts(rowid, name, former_names, legal_representative, uscc, name_pinyin, name_initials) VALUES (?, ?, ?, ?, ?, ?, ?)", batch)
    connection.execute("INSERT INTO search_fts(search_fts) VALUES ('optimize')")
    # Terms shorter than a trigram: an FTS5 table of the names' characters and character pairs
    # (unicode61 keeps each space-separated gram a token), so they are looked up, not scanned with LIKE.
    connection.execute("DROP TABLE IF EXISTS search_fts_grams")
    connection.execute("CREATE VIRTUAL TABLE search_fts_grams USING fts5(name, former_names, tokenize='unicode61')")
    connection.executemany(
        "INSERT INTO search_fts_grams(rowid, name, former_names) VALUES (?, ?, ?)",
        (
            (rowid, short_grams(name), short_grams(former_names or ""))
            for rowid, name, former_names in connection.execute(
                "SELECT rowid, name, former_names FROM organisations WHERE is_published"
            ).fetchall()
        ),
    )
    connection.execute("INSERT INTO search_fts_grams(search_fts_grams) VALUES ('optimize')")
    connection.commit()
    connection.close()
    return time.perf_counter() - started


# -- the FTS5 baseline --------------------------------------------------------------

_FACET_COLUMNS = ("grade", "org_type", "district_code", "evaluation_level")


def _quoted(text):
    return '"' + text.replace('"', '""') + '"'


def fts_condition(query_class, text):
    """Return (SQL condition on f = search_fts and o = organisations, parameters, uses MATCH)."""
    from portal.chinese import name_readings
    from portal.search.analysis import normalise_uscc
    from portal.search.query import clean_query

    text = clean_query(text)[0]
    compact = text.replace(" ", "")
    if query_class == "USCC exact" or (query_class == "broad" and compact.isdigit() and len(compact) == 18):
        return "o.uscc = ?", [normalise_uscc(compact)], False
    if query_class == "USCC prefix" or (query_class == "broad" and compact.isdigit()):
        code = normalise_uscc(compact)
        return "search_fts MATCH ? AND o.uscc LIKE ?", [f"uscc : {_quoted(code)}", code + "%"], True
    if compact.isascii() and compact.isalpha():
        column = "name_initials" if query_class == "pinyin initials" or len(compact) <= 3 else "name_pinyin"
        return "search_fts MATCH ?", [f"{column} : {_quoted(compact.lower())}"], True
    if query_class == "homophone typo":
        return "search_fts MATCH ?", [f"name_pinyin : {_quoted(''.join(name_readings(compact).syllables))}"], True
    clauses, parameters, matches = [], [], []
    for term in text.split(" "):
        if len(term) >= 3:
            matches.append(_quoted(term))
        else:
            # The 2-gram fallback: a lookup in the grams table, FTS5's natural query for a short term.
            clauses.append("f.rowid IN (SELECT rowid FROM search_fts_grams WHERE search_fts_grams MATCH ?)")
            parameters.append(_quoted(term.lower()))
    if matches:
        clauses.insert(0, "search_fts MATCH ?")
        parameters.insert(0, "{name former_names} : " + " AND ".join(matches))
    return " AND ".join(clauses), parameters, bool(matches)


def fts_search(connection, query_class, text):
    """Do what the search page does, with FTS5; return the number of matches."""
    condition, parameters, ranked = fts_condition(query_class, text)
    source = "search_fts f JOIN organisations o ON o.rowid = f.rowid"
    combinations = connection.execute(
        f"SELECT {', '.join('o.' + c for c in _FACET_COLUMNS)}, count(*) FROM {source} WHERE {condition} "
        f"GROUP BY {', '.join('o.' + c for c in _FACET_COLUMNS)}",
        parameters,
    ).fetchall()
    counts = {column: {} for column in _FACET_COLUMNS}
    total = 0
    for *values, count in combinations:
        total += count
        for column, value in zip(_FACET_COLUMNS, values):
            counts[column][value] = counts[column].get(value, 0) + count
    order = "rank" if ranked else "length(o.name), o.name"
    connection.execute(
        f"SELECT o.uscc, highlight(search_fts, 0, '<mark>', '</mark>'), o.grade, o.org_type, o.district_code, "
        f"o.score, o.business_scope, o.address FROM {source} WHERE {condition} ORDER BY {order} LIMIT 20",
        parameters,
    ).fetchall()
    return total


# -- measuring ----------------------------------------------------------------------


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def measure(app, portal_db, queries, warmup, skip_fts=False):
    from portal.search import index as search_index
    from portal.search import service

    index_dir = app.config["INDEX_DIR"]
    results = {}
    with app.app_context():
        searcher = search_index.open_searcher(index_dir)
        started = time.perf_counter()
        service.search("北京", searcher=searcher)
        for sort in service.SORTS:
            service.search("北京", sort=sort, searcher=searcher)
        first = time.perf_counter() - started
        searcher.close()
        for texts in warmup.values():
            for text in texts:
                searcher = search_index.open_searcher(index_dir)
                service.search(text, searcher=searcher, locale="zh")
                searcher.close()
        for query_class, texts in queries.items():
            timings, cpu, totals = [], [], []
            for text in texts:
                started, started_cpu = time.perf_counter(), time.thread_time()
                searcher = search_index.open_searcher(index_dir)
                found = service.search(text, searcher=searcher, locale="zh")
                searcher.close()
                cpu.append((time.thread_time() - started_cpu) * 1000)
                timings.append((time.perf_counter() - started) * 1000)
                totals.append(found.total)
            results[query_class] = {"search": timings, "search_cpu": cpu, "search_totals": totals}

    if skip_fts:
        for measured in results.values():
            measured["fts"] = measured["fts_cpu"] = measured["fts_totals"] = [float("nan")]
        return first, results
    connection = sqlite3.connect(portal_db)
    for query_class, texts in warmup.items():
        for text in texts:
            fts_search(connection, query_class, text)
    for query_class, texts in queries.items():
        timings, cpu, totals = [], [], []
        for text in texts:
            started, started_cpu = time.perf_counter(), time.thread_time()
            totals.append(fts_search(connection, query_class, text))
            cpu.append((time.thread_time() - started_cpu) * 1000)
            timings.append((time.perf_counter() - started) * 1000)
        results[query_class]["fts"] = timings
        results[query_class]["fts_cpu"] = cpu
        results[query_class]["fts_totals"] = totals
    connection.close()
    return first, results


def report(size, first, results, target, goals):
    print(f"\nqueries on {size:,} organisations (milliseconds; search = page 1 of 20 with facets and highlights)")
    print(f"  first query on a new index state (computes the sort orders): {first * 1000:.0f} ms")
    print(f"  load average now: {' '.join(f'{load:.2f}' for load in os.getloadavg())}")
    print(
        f"  {'class':<20} {'search p50':>10} {'p99':>8} {'CPU p99':>8} {'FTS5 p50':>9} {'p99':>8} {'CPU p99':>8} "
        f"{'p99 ratio':>9} {'mean hits':>10} {'FTS5 hits':>10}  target p99 ≤ {target:.0f} ms"
    )
    worst = worst_cpu = 0.0
    for query_class, measured in results.items():
        ours, theirs = measured["search"], measured["fts"]
        p99, fts_p99 = percentile(ours, 0.99), percentile(theirs, 0.99)
        cpu_p99 = percentile(measured["search_cpu"], 0.99)
        worst, worst_cpu = max(worst, p99), max(worst_cpu, cpu_p99)
        print(
            f"  {query_class:<20} {percentile(ours, 0.5):>10.1f} {p99:>8.1f} {cpu_p99:>8.1f} "
            f"{percentile(theirs, 0.5):>9.1f} {fts_p99:>8.1f} {percentile(measured['fts_cpu'], 0.99):>8.1f} "
            f"{p99 / fts_p99:>8.2f}x {statistics.mean(measured['search_totals']):>10.0f} {statistics.mean(measured['fts_totals']):>10.0f}"
            f"  {'ok' if p99 <= target else 'MISSED'}"
        )
    print(f"  worst p99: {worst:.1f} ms ({'met' if worst <= target else 'MISSED'} target {target:.0f} ms)")
    goals.check(worst <= target, f"{size:,} organisations: worst search p99 {worst:.1f} ms (goal ≤ {target:.0f} ms)")
    print(
        f"  worst CPU p99: {worst_cpu:.1f} ms (the query's own CPU time: what the latency would be "
        "if the machine's other processes did not take the cores)"
    )
    print(f"  peak memory of this process (RSS): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


def run(size, args, goals):
    if args.reuse:
        folder = args.reuse
    else:
        folder = tempfile.mkdtemp(prefix=f"search-bench-{size}-")
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/portal.db",
            "INDEX_DIR": f"{folder}/index",
            "JIEBA_CACHE_DIR": f"{folder}/jieba",
        }
    )
    from portal.search import index as search_index
    from portal.search.analysis import initialize_jieba

    portal_db = f"{folder}/portal.db"
    try:
        initialize_jieba(app.config["JIEBA_CACHE_DIR"])
        if not args.reuse or args.rebuild:
            with app.app_context():
                if not args.reuse:
                    db.create_all()
                    started = time.perf_counter()
                    count = fill_database(size)
                    print(f"generated {count:,} organisations in {time.perf_counter() - started:.1f} s")
                db.session.remove()
                print(f"index build starts; load average {os.getloadavg()[0]:.2f}", flush=True)
                cpu = os.times()
                summary = search_index.rebuild(app.config["INDEX_DIR"], db.session)
                after = os.times()
            cpu_seconds = sum(after[:4]) - sum(cpu[:4])
            print(
                f"Whoosh index build:   {summary['documents']:,} documents in {summary['seconds']:.1f} s "
                f"({cpu_seconds:.0f} CPU-seconds, {summary['size_bytes'] / 2**20:.0f} MB, load average "
                f"{os.getloadavg()[0]:.2f})"
            )
            if not args.skip_fts:
                print(f"FTS5 trigram build:   {build_fts(portal_db):.1f} s")
        rows = load_rows(portal_db)
        homophone_map = homophones(rows)
        warmup = draw_queries(rows, args.warmup, args.seed + 1, homophone_map)
        queries = draw_queries(rows, args.queries, args.seed, homophone_map)
        first, results = measure(app, portal_db, queries, warmup, args.skip_fts)
        report(len(rows), first, results, TARGET_MS.get(size, 250.0), goals)
    finally:
        if args.keep or args.reuse:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="60000", help="comma-separated numbers of organisations (default 60000)")
    parser.add_argument("--queries", type=int, default=200, help="measured queries per class (default 200)")
    parser.add_argument("--warmup", type=int, default=50, help="warm-up queries per class, a separate sample (default 50)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-fts", action="store_true", help="time the search only, not the FTS5 baseline")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--reuse", metavar="FOLDER", help="query a folder kept by --keep instead of building")
    parser.add_argument("--rebuild", action="store_true",
                        help="with --reuse: build the index (and FTS5) again from the folder's organisations")
    args = parser.parse_args()
    goals = Goals()
    for size in [int(size) for size in args.sizes.split(",")]:
        print(f"== {size:,} organisations")
        run(size, args, goals)
    goals.finish()


if __name__ == "__main__":
    main()
