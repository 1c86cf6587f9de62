"""Relevance of the search: labelled queries, written as citizens type them, scored by class.

    .venv/bin/python bench/relevance.py                    # build the demo the queries assume, run `current`
    .venv/bin/python bench/relevance.py --engines git:main,current   # before (a commit's engine) and after
    .venv/bin/python bench/relevance.py --keep             # keep the built folder ...
    .venv/bin/python bench/relevance.py --reuse FOLDER     # ... and run the queries on it again, no build
    .venv/bin/python bench/relevance.py --misses           # also list every query that missed, with its top 5
    .venv/bin/python bench/relevance.py --relabel          # rewrite bench/relevance/expected.tsv (then review it)

The query set is data: ``bench/relevance/queries.tsv``, one query a line
(id, class, the text as typed, the criterion of a right answer, a note), with
the demo it assumes in its header (seed and number of organisations). The
script builds that demo in a temporary folder exactly as a node does (the
demo scoring database, a full sync into an SQLite portal database, an index
rebuild), then runs every query through each engine and prints, by class and
overall, recall@1, recall@5, MRR and the share of queries with zero results,
the ratio of each to its target, and a verdict.

Expected answers are never taken from a search engine. Each query's criterion
(``expect`` column) says in plain fields what a right answer is: "registered
in 朝阳区 and 养老院 in its name" is ``district:110105 & name:养老院``. The
script evaluates it over the published organisations of the portal database
(Python string tests on the rows, no index), and the resulting USCCs, stable
for the seed, are kept in ``bench/relevance/expected.tsv``: listed when there
are up to 30 (a broad query's set, such as every kindergarten, by its count
and a fingerprint), with the shortest names for review. Every run evaluates the criteria again and
stops (exit 2) if the demo no longer gives the stored answers: a change of
the generator or of publication then shows as a reviewed diff of
expected.tsv (``--relabel``), never as a silent change of the figures.

Criteria: ``field:value`` tests, ``a|b`` alternatives within one test, ``!``
before a test negates it, `` & `` joins tests that must all hold, and `` || ``
joins such groups of which one must hold. Fields: ``name`` (in the current
name), ``former`` (in a former name), ``names`` (either), ``exact`` (the whole
current name), ``district`` (registrar code, 110000 for the municipal bureau),
``type`` (social_group, social_service, foundation), ``person`` (the legal
representative, whole), ``scope`` (in the business scope), ``address``,
``unit`` (in the supervising unit), ``uscc`` (whole code), ``code`` (in the
code), ``any`` (in any of the texts). ``none`` means nothing should be found;
such a query is checked to have no published organisation whose names hold
its characters in that order (or, for a code, whose code holds it).

Metrics, over page 1 of 20 by relevance (what the /search page shows):

- recall@k: the share of the first k results that are expected, out of
  min(k, number expected): a query with one right answer scores 1 if it is
  in the first k; a broad one (海淀区幼儿园: 160 right answers) scores 1 only
  if all of its first five are right, so 密云区朝阳花养老院 first for 朝阳 养老 costs.
- MRR: 1 / the rank of the first right answer (0 if none on page 1).
- zero: the share with no result at all. A ``none`` query is right if it has
  no result (an engine that answers with partial matches says so with a true
  ``partial`` attribute on its results, and those count as no result).
- Targets (issue 16): recall@5 >= 0.95 overall and >= 0.9 in every class,
  MRR >= 0.85, no zero results outside ``none``, and no result in ``none``.
  Recall and MRR are over the queries that have answers; ``none`` is judged by
  its zero rate alone.

Engines. ``current`` is this working tree's ``portal.search.service.search``,
the function the /search page calls, on the index built above. ``git:REV``
is the search of any commit (``git:main``, ``git:b60309c``): its ``portal``
package is exported to a temporary folder and a worker process on that code
syncs the same scoring database into its own portal database, builds its own
index and answers the same queries, so the engine before a change and after
it run in the same run on the same data. ``module:function`` adds any other
engine: ``function(app, folder)`` returns a callable from the text to
results with ``hits`` (each with ``uscc``), ``total`` and optionally
``partial``. The exit status is 1 if the last engine listed misses a target
(the ones before it are its baselines), 2 if the labels are stale.
"""

import argparse
import hashlib
import json
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "relevance"
QUERIES_FILE = DATA / "queries.tsv"
EXPECTED_FILE = DATA / "expected.tsv"
PER_PAGE = 20
NONE = "none"
#: Targets of issue 16.
RECALL5_OVERALL, RECALL5_CLASS, MRR_TARGET = 0.95, 0.90, 0.85
#: Names of each expected set kept in expected.tsv for the reviewer.
NAMES_SHOWN = 3
#: Sets up to this size are listed in expected.tsv; larger ones (a category) by fingerprint and count.
USCCS_LISTED = 30

_CJK = re.compile(r"[\u3400-\u9fff]")


# -- the query set ---------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    id: str
    cls: str
    text: str
    expect: str
    note: str = ""


def read_queries(path=QUERIES_FILE):
    """Return ({setting: value} from the header's ``# demo:`` line, [Query])."""
    settings, queries, seen = {}, [], set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("# demo:"):
            settings = dict(part.split("=", 1) for part in line.removeprefix("# demo:").split())
            continue
        if not line.strip() or line.startswith("#"):
            continue
        columns = line.split("\t")
        if len(columns) not in (4, 5) or not all(column.strip() for column in columns[:4]):
            raise SystemExit(f"{path.name} line {number}: expected id, class, query, expect[, note] separated by tabs")
        query = Query(*[column.strip() for column in columns[:4]], *(columns[4:] or [""]))
        if query.id in seen:
            raise SystemExit(f"{path.name} line {number}: id {query.id} twice")
        seen.add(query.id)
        parse_expect(query.expect)  # fail early on a typo in a criterion
        queries.append(query)
    if not {"seed", "organisations"} <= settings.keys():
        raise SystemExit(f"{path.name}: no '# demo: seed=S organisations=N' line")
    return {key: int(value) for key, value in settings.items()}, queries


# -- criteria -------------------------------------------------------------------------------

FIELDS = ("name", "former", "names", "exact", "district", "type", "person", "scope", "address", "unit",
          "uscc", "code", "any")


def parse_expect(text):
    """Return the criterion as [[(negated, field, (values...))...]...] (an OR of ANDs), or NONE."""
    if text.strip() == NONE:
        return NONE
    groups = []
    for group_text in text.split(" || "):
        tests = []
        for test in group_text.split(" & "):
            test = test.strip()
            negated = test.startswith("!")
            name, _, values = test.removeprefix("!").partition(":")
            if name not in FIELDS or not values:
                raise SystemExit(f"criterion {text!r}: {test!r} is not field:value (fields: {', '.join(FIELDS)})")
            tests.append((negated, name, tuple(values.split("|"))))
        groups.append(tests)
    return groups


def _texts(org, name):
    if name == "name":
        return (org["name"],)
    if name == "former":
        return org["former_names"]
    if name == "names":
        return (org["name"], *org["former_names"])
    if name == "scope":
        return (org["business_scope"] or "",)
    if name == "address":
        return (org["address"] or "",)
    if name == "unit":
        return (org["supervising_unit"] or "",)
    if name == "code":
        return (org["uscc"],)
    return (org["name"], *org["former_names"], org["business_scope"] or "", org["address"] or "",
            org["supervising_unit"] or "", org["legal_representative"] or "")


def _holds(org, name, values):
    if name == "exact":
        return org["name"] in values
    if name == "district":
        return org["district_code"] in values
    if name == "type":
        return org["org_type"] in values
    if name == "person":
        return org["legal_representative"] in values
    if name == "uscc":
        return org["uscc"] in values
    texts = _texts(org, name)
    return any(value in text for value in values for text in texts)


def matches(org, criterion):
    return any(all(_holds(org, name, values) != negated for negated, name, values in group) for group in criterion)


def _in_order(text, name):
    """Whether the characters of ``text`` occur in ``name`` in the same order (not necessarily together)."""
    remaining = iter(name)
    return all(character in remaining for character in text)


def expected_answers(queries, orgs):
    """Return {query id: sorted USCCs} from the criteria; stop if a query cannot be used at this seed."""
    answers, problems = {}, []
    codes = {org["uscc"] for org in orgs}
    for query in queries:
        criterion = parse_expect(query.expect)
        if criterion == NONE:
            answers[query.id] = ()
            compact = re.sub(r"[\s-]", "", query.text).upper()
            if compact in codes or any(compact in code for code in codes if len(compact) >= 8 and compact.isalnum()
                                       and not _CJK.search(compact)):
                problems.append(f"{query.id} {query.text!r}: a published organisation has this code")
            stripped = re.sub(r"^北京市?", "", query.text)
            if _CJK.search(stripped) and any(_in_order(stripped, name) for org in orgs
                                             for name in (org["name"], *org["former_names"])):
                problems.append(f"{query.id} {query.text!r}: a published name holds these characters in this order")
            continue
        found = tuple(sorted(org["uscc"] for org in orgs if matches(org, criterion)))
        if not found:
            problems.append(f"{query.id} {query.text!r}: no published organisation meets {query.expect!r}")
        answers[query.id] = found
    if problems:
        raise SystemExit("queries that do not fit the demo at this seed:\n  " + "\n  ".join(problems))
    return answers


def digest(usccs):
    """Return a short fingerprint of a set of USCCs (the first 16 hex digits of its SHA-256)."""
    return hashlib.sha256(" ".join(sorted(usccs)).encode()).hexdigest()[:16]


def read_expected(path=EXPECTED_FILE):
    """Return ({setting: value}, {query id: digest of its expected USCCs}) from expected.tsv."""
    if not path.exists():
        return {}, {}
    settings, digests = {}, {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# demo:"):
            settings = {key: int(value) for key, value in
                        (part.split("=", 1) for part in line.removeprefix("# demo:").split())}
        elif line.strip() and not line.startswith("#"):
            query_id, count, fingerprint, usccs, *_ = line.split("\t")
            if usccs not in ("-", "…"):
                assert len(usccs.split()) == int(count) and digest(usccs.split()) == fingerprint, query_id
            digests[query_id] = fingerprint
    return settings, digests


def write_expected(settings, queries, answers, orgs, path=EXPECTED_FILE):
    names = {org["uscc"]: org["name"] for org in orgs}
    lines = [
        "# Expected answers of bench/relevance/queries.tsv: written by `bench/relevance.py --relabel` from each",
        "# query's criterion over the published organisations of the demo below (never from a search engine).",
        f"# Columns: id, number expected, fingerprint of the set, the USCCs (- for none, … for more than "
        f"{USCCS_LISTED}),",
        "# the shortest names of the set for review.",
        f"# demo: seed={settings['seed']} organisations={settings['organisations']}",
    ]
    for query in queries:
        usccs = answers[query.id]
        listed = " ".join(usccs) if len(usccs) <= USCCS_LISTED else "…"
        shown = "、".join(sorted((names[uscc] for uscc in usccs), key=lambda name: (len(name), name))[:NAMES_SHOWN])
        lines.append(f"{query.id}\t{len(usccs)}\t{digest(usccs)}\t{listed or '-'}\t{shown}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# -- the demo -------------------------------------------------------------------------------


def make_app(folder, portal_db="portal.db", index="index"):
    from portal import create_app

    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / portal_db}",
            "SCORING_DATABASE_URL": f"sqlite:///{folder / 'scoring.db'}",
            "INDEX_DIR": str(folder / index),
            "JIEBA_CACHE_DIR": str(folder / "jieba"),
            "SYNC_RETRIES": 1,
        }
    )


def sync_and_index(app):
    """Sync the folder's scoring database into its portal database and build the index; return seconds."""
    from portal.extensions import db
    from portal.search import index as search_index
    from portal.search.analysis import initialize_jieba
    from portal.sync.service import run_sync

    initialize_jieba(app.config["JIEBA_CACHE_DIR"])
    with app.app_context():
        db.create_all()
        started = time.perf_counter()
        result = run_sync(full=True, trigger="bench", update_index=False)
        if result.status != "succeeded":
            raise SystemExit(f"sync failed: {result.error}")
        synced = time.perf_counter() - started
        built = search_index.rebuild(app.config["INDEX_DIR"], db.session)
        db.session.remove()
    return synced, built["seconds"], built["documents"]


def build_demo(folder, settings):
    from portal.demo.generator import generate_scoring_db

    started = time.perf_counter()
    summary = generate_scoring_db(f"sqlite:///{folder / 'scoring.db'}", orgs=settings["organisations"],
                                  seed=settings["seed"])
    print(f"  demo scoring database: {summary['organisations']:,} organisations, seed {settings['seed']}, "
          f"{time.perf_counter() - started:.1f} s", flush=True)
    synced, built, documents = sync_and_index(make_app(folder))
    print(f"  full sync {synced:.1f} s, index build {built:.1f} s ({documents:,} published)", flush=True)
    (folder / "demo.json").write_text(json.dumps(settings), encoding="utf-8")


def published_organisations(portal_db):
    """Return the published organisations of a portal database as plain dicts (no ORM, no index)."""
    connection = sqlite3.connect(portal_db)
    connection.row_factory = sqlite3.Row
    rows = connection.execute(
        "SELECT uscc, name, former_names, org_type, district_code, legal_representative, address, "
        "business_scope, supervising_unit FROM organisations WHERE is_published ORDER BY uscc"
    ).fetchall()
    connection.close()
    orgs = []
    for row in rows:
        org = dict(row)
        org["former_names"] = tuple(json.loads(org["former_names"] or "[]"))
        orgs.append(org)
    return orgs


# -- engines --------------------------------------------------------------------------------


@dataclass
class Answer:
    usccs: tuple  # page 1, in order
    total: int
    partial: bool = False
    milliseconds: float = 0.0


def answer_with(search, text):
    """Run one query through ``search(text)`` and return its Answer."""
    started = time.perf_counter()
    results = search(text)
    milliseconds = (time.perf_counter() - started) * 1000
    hits = tuple(hit.uscc for hit in results.hits)[:PER_PAGE]
    return Answer(hits, results.total, bool(getattr(results, "partial", False)), milliseconds)


def current_engine(app, folder):
    """This working tree's search page service, on the folder's index."""
    from portal.search import index as search_index
    from portal.search import service
    from portal.search.analysis import initialize_jieba

    initialize_jieba(app.config["JIEBA_CACHE_DIR"])
    context = app.app_context()
    context.push()
    searcher = search_index.open_searcher(app.config["INDEX_DIR"])
    return lambda text: service.search(text, searcher=searcher, per_page=PER_PAGE, locale="zh")


#: Engines by name; ``git:REV`` and ``module:function`` are resolved by ``run_engine``.
ENGINES = {"current": current_engine}


def run_in_process(make_engine, folder, queries):
    search = make_engine(make_app(folder), folder)
    search("北京")  # the first query on an index state computes its sort orders
    return {query.id: answer_with(search, query.text) for query in queries}


def run_git_revision(revision, folder, queries):
    """Answer the queries with the search of ``revision`` in a worker process on that code."""
    commit = subprocess.run(["git", "rev-parse", "--short", revision], cwd=ROOT, capture_output=True, text=True)
    if commit.returncode != 0:
        raise SystemExit(f"git:{revision}: {commit.stderr.strip()}")
    commit = commit.stdout.strip()
    code = folder / "engines" / commit / "code"
    if not code.exists():
        code.mkdir(parents=True)
        archive = subprocess.run(["git", "archive", commit, "portal"], cwd=ROOT, capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(code)], input=archive.stdout, check=True)
    queries_file = folder / "engines" / commit / "queries.json"
    queries_file.write_text(json.dumps([[query.id, query.text] for query in queries], ensure_ascii=False))
    answers_file = folder / "engines" / commit / "answers.json"
    print(f"  git:{revision} ({commit}): a worker on that code syncs, builds its index and answers", flush=True)
    completed = subprocess.run(
        [sys.executable, __file__, "--worker", str(code), str(folder), str(queries_file), str(answers_file)],
        env={**os.environ, "PYTHONPATH": str(code)},
    )
    if completed.returncode != 0:
        raise SystemExit(f"git:{revision}: the worker failed ({completed.returncode})")
    return {query_id: Answer(tuple(usccs), total, partial, ms)
            for query_id, (usccs, total, partial, ms) in json.loads(answers_file.read_text()).items()}


def worker(code, folder, queries_file, answers_file):
    """The worker of ``git:REV``: this code's sync, index and search on the folder's scoring database."""
    sys.path.insert(0, code)
    folder = Path(folder)
    engine_folder = Path(code).parent
    app = make_app(folder, portal_db=engine_folder.relative_to(folder) / "portal.db",
                   index=engine_folder.relative_to(folder) / "index")
    if not (engine_folder / "index").exists():
        synced, built, documents = sync_and_index(app)
        print(f"    its full sync {synced:.1f} s, index build {built:.1f} s ({documents:,} published)", flush=True)
    search = current_engine(app, folder)
    search("北京")
    answers = {}
    for query_id, text in json.loads(Path(queries_file).read_text()):
        answer = answer_with(search, text)
        answers[query_id] = [answer.usccs, answer.total, answer.partial, answer.milliseconds]
    Path(answers_file).write_text(json.dumps(answers))


def run_engine(name, folder, queries):
    if name.startswith("git:"):
        return run_git_revision(name.removeprefix("git:"), folder, queries)
    if name in ENGINES:
        return run_in_process(ENGINES[name], folder, queries)
    module, _, function = name.partition(":")
    if not function:
        raise SystemExit(f"unknown engine {name!r}: use {', '.join(ENGINES)}, git:REV or module:function")
    import importlib

    return run_in_process(getattr(importlib.import_module(module), function), folder, queries)


# -- scoring --------------------------------------------------------------------------------


@dataclass
class Scores:
    queries: int = 0
    answerable: int = 0
    recall1: float = 0.0
    recall5: float = 0.0
    reciprocal_ranks: float = 0.0
    zero: int = 0
    misses: list = field(default_factory=list)

    def add(self, query, expected, answer):
        self.queries += 1
        nothing = answer.total == 0 or answer.partial
        if answer.total == 0:
            self.zero += 1
        if not expected:
            if not nothing:
                self.misses.append((query, answer, 0.0))
            return
        self.answerable += 1
        wanted = set(expected)
        right = [uscc in wanted for uscc in answer.usccs]
        recall5 = sum(right[:5]) / min(5, len(wanted))
        self.recall1 += 1.0 if right[:1] == [True] else 0.0
        self.recall5 += recall5
        first = next((rank for rank, ok in enumerate(right, 1) if ok), None)
        self.reciprocal_ranks += 1 / first if first else 0.0
        if recall5 < 1.0:
            self.misses.append((query, answer, recall5))

    def mean(self, total):
        return total / self.answerable if self.answerable else None

    @property
    def zero_rate(self):
        return self.zero / self.queries if self.queries else 0.0


def score(queries, expected, answers):
    """Return ({class: Scores}, overall Scores)."""
    by_class, overall = {}, Scores()
    for query in queries:
        for scores in (by_class.setdefault(query.cls, Scores()), overall):
            scores.add(query, expected[query.id], answers[query.id])
    return by_class, overall


def verdicts(by_class, overall):
    """Return the list of missed goals (empty if every target is met)."""
    missed = []
    if overall.answerable and overall.mean(overall.recall5) < RECALL5_OVERALL:
        missed.append(f"recall@5 overall {overall.mean(overall.recall5):.3f} < {RECALL5_OVERALL}")
    if overall.answerable and overall.mean(overall.reciprocal_ranks) < MRR_TARGET:
        missed.append(f"MRR overall {overall.mean(overall.reciprocal_ranks):.3f} < {MRR_TARGET}")
    for cls, scores in by_class.items():
        if scores.answerable and scores.mean(scores.recall5) < RECALL5_CLASS:
            missed.append(f"recall@5 of {cls} {scores.mean(scores.recall5):.3f} < {RECALL5_CLASS}")
        if scores.answerable and scores.zero:
            missed.append(f"{scores.zero} queries of {cls} found nothing")
        if not scores.answerable and scores.misses:
            missed.append(f"{len(scores.misses)} of {scores.queries} {cls} queries found something")
    return missed


def _figure(value, digits=3):
    return "-" if value is None else f"{value:.{digits}f}"


def report(name, by_class, overall, answers, classes):
    timings = [answer.milliseconds for answer in answers.values()]
    print(f"\nengine {name}: {overall.queries} queries, {statistics.median(timings):.1f} ms median, "
          f"{max(timings):.1f} ms slowest (page 1 of {PER_PAGE}, facets and highlights)")
    print(f"  {'class':<18} {'queries':>7} {'recall@1':>9} {'recall@5':>9} {'MRR':>7} {'zero':>6}  "
          f"target: recall@5 ≥ {RECALL5_CLASS} a class, no zero (none: all zero)")
    for cls in classes:
        scores = by_class[cls]
        if scores.answerable:
            recall5 = scores.mean(scores.recall5)
            verdict = "ok" if recall5 >= RECALL5_CLASS and not scores.zero else "MISSED"
        else:
            verdict = "ok" if not scores.misses else "MISSED"
        print(f"  {cls:<18} {scores.queries:>7} {_figure(scores.mean(scores.recall1)):>9} "
              f"{_figure(scores.mean(scores.recall5)):>9} {_figure(scores.mean(scores.reciprocal_ranks)):>7} "
              f"{scores.zero_rate:>6.2f}  {verdict}")
    recall5, mrr = overall.mean(overall.recall5), overall.mean(overall.reciprocal_ranks)
    print(f"  {'overall':<18} {overall.queries:>7} {_figure(overall.mean(overall.recall1)):>9} "
          f"{_figure(recall5):>9} {_figure(mrr):>7} {overall.zero_rate:>6.2f}")
    print(f"  against the targets: recall@5 {recall5:.3f} / {RECALL5_OVERALL} = {recall5 / RECALL5_OVERALL:.2f}×, "
          f"MRR {mrr:.3f} / {MRR_TARGET} = {mrr / MRR_TARGET:.2f}×")


def show_misses(name, by_class, names):
    print(f"\nmisses of {name} (recall@5 < 1, or a result where none was expected):")
    for cls, scores in by_class.items():
        for query, answer, recall5 in scores.misses:
            found = ", ".join(names.get(uscc, uscc) for uscc in answer.usccs[:5]) or "(nothing)"
            print(f"  {query.id} {cls:<16} {query.text!r:<24} recall@5 {recall5:.2f} total {answer.total}: {found}")


def _ratio(before, after):
    if before:
        return f"{after / before:.2f}×"
    return "same" if not after else "from 0"


def compare(results):
    (first, (first_class, first_overall)), (last, (last_class, last_overall)) = results[0], results[-1]
    print(f"\n{last} against {first} (recall@5 and MRR; same queries, same demo):")
    for cls, after in last_class.items():
        before = first_class[cls]
        if after.answerable:
            b, a = before.mean(before.recall5), after.mean(after.recall5)
            print(f"  {cls:<18} recall@5 {b:.3f} -> {a:.3f} {_ratio(b, a):>7}")
    for label, metric in (("recall@5", "recall5"), ("MRR", "reciprocal_ranks")):
        b = first_overall.mean(getattr(first_overall, metric))
        a = last_overall.mean(getattr(last_overall, metric))
        print(f"  {'overall':<18} {label} {b:.3f} -> {a:.3f} {_ratio(b, a):>7}")


# -- main -------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engines", default="current",
                        help="comma-separated engines, baselines first: current, git:REV, module:function")
    parser.add_argument("--keep", action="store_true", help="keep the built folder")
    parser.add_argument("--reuse", metavar="FOLDER", help="a folder kept by --keep: no build")
    parser.add_argument("--relabel", action="store_true", help="write expected.tsv from the criteria")
    parser.add_argument("--misses", action="store_true", help="list every query that missed")
    parser.add_argument("--classes", help="only these comma-separated classes")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    settings, queries = read_queries()
    if args.classes:
        queries = [query for query in queries if query.cls in args.classes.split(",")]
    classes = list(dict.fromkeys(query.cls for query in queries))
    started = time.perf_counter()
    folder = Path(args.reuse or tempfile.mkdtemp(prefix="relevance-"))
    try:
        print(f"relevance: {len(queries)} queries in {len(classes)} classes; demo seed {settings['seed']}, "
              f"{settings['organisations']:,} organisations; folder {folder}; load average "
              f"{os.getloadavg()[0]:.2f}", flush=True)
        if args.reuse:
            built = json.loads((folder / "demo.json").read_text())
            if built != settings:
                raise SystemExit(f"{folder} holds the demo {built}, the queries assume {settings}")
        else:
            build_demo(folder, settings)
        orgs = published_organisations(folder / "portal.db")
        expected = expected_answers(queries, orgs)
        if args.relabel:
            write_expected(settings, queries, expected, orgs)
            print(f"  wrote {EXPECTED_FILE.relative_to(ROOT)}: review its diff before committing it")
        else:
            stored_settings, stored = read_expected()
            stale = [query.id for query in queries if stored.get(query.id) != digest(expected[query.id])]
            if stored_settings != settings or stale:
                print(f"labels are stale: the demo no longer gives the stored answers of {len(stale)} queries "
                      f"({', '.join(stale[:10])}{' ...' if len(stale) > 10 else ''}); run with --relabel and "
                      "review the diff of bench/relevance/expected.tsv")
                return 2
        names = {org["uscc"]: org["name"] for org in orgs}
        results, missed = [], []
        for name in args.engines.split(","):
            answers = run_engine(name, folder, queries)
            by_class, overall = score(queries, expected, answers)
            report(name, by_class, overall, answers, classes)
            if args.misses:
                show_misses(name, by_class, names)
            missed = verdicts(by_class, overall)
            results.append((name, (by_class, overall)))
        if len(results) > 1:
            compare(results)
        last, (_, overall) = results[-1]
        summary = (f"relevance of {last}: recall@5 {_figure(overall.mean(overall.recall5))}, MRR "
                   f"{_figure(overall.mean(overall.reciprocal_ranks))}, zero {overall.zero_rate:.2f} over "
                   f"{overall.queries} queries in {time.perf_counter() - started:.0f} s")
        if missed:
            print(f"\n{summary}: {len(missed)} goals MISSED:\n  " + "\n  ".join(missed))
            return 1
        print(f"\n{summary}: every goal met")
        return 0
    finally:
        if args.keep or args.reuse:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--worker":
        worker(*sys.argv[2:])
    else:
        sys.exit(main())
