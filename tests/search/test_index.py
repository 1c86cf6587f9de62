"""The search index: rebuild, catch-up, the atomic swap and the request searcher."""

import json
import os
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from pypinyin import lazy_pinyin
from whoosh import highlight
from whoosh import query as wq

from portal.chinese import name_readings
from portal.extensions import db
from portal.publication.models import Organisation, PublicationState
from portal.search import index as search_index
from portal.search.analysis import CjkBigramAnalyzer, cjk_bigrams, normalise_uscc, syllable_pairs
from tests.conftest import published_matches

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def jieba_cache_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("jieba"))


@pytest.fixture
def search_app(app, jieba_cache_dir):
    app.config["JIEBA_CACHE_DIR"] = jieba_cache_dir
    return app


ORG_TYPES_BY_USCC = {"1": "social_group", "2": "social_service", "3": "foundation"}


def add_org(uscc, name, published=True, version=1, **columns):
    org = Organisation(
        uscc=uscc,
        name=name,
        name_pinyin="",
        former_names=columns.pop("former_names", []),
        org_type=columns.pop("org_type", ORG_TYPES_BY_USCC[uscc[1]]),
        registration_authority="北京市民政局",
        district_code=columns.pop("district_code", uscc[2:8]),
        legal_representative=columns.pop("legal_representative", "王小明"),
        registered_on=columns.pop("registered_on", None) or date(2015, 3, 7),
        address=columns.pop("address", "北京市朝阳区建国路88号"),
        business_scope=columns.pop("business_scope", "开展青少年科普教育活动；组织学术交流。"),
        evaluation_level=columns.pop("evaluation_level", None),
        registration_status="normal",
        score=columns.pop("score", None) or (Decimal("91.50") if published else Decimal("55.00")),
        grade=columns.pop("grade", "A" if published else "D"),
        is_published=published,
        changed_in_version=version,
        **columns,
    )
    db.session.add(org)
    return org


def set_publication_version(version):
    state = db.session.get(PublicationState, 1)
    if state is None:
        db.session.add(PublicationState(id=1, version=version))
    else:
        state.version = version


ORGS = {
    "51110105MJ0000001A": ("北京青少年发展基金会", True),
    "51110105MJ0000002B": ("北京市朝阳区蓝天志愿服务中心", True),
    "52110108MJ0000003C": ("北京市海淀区围棋协会", True),
    "52110108MJ0000004D": ("北京市海淀区象棋协会", False),
    "53110000500000005E": ("北京市书法艺术基金会", False),
}


REGISTERED = {"51110105MJ0000002B": date(2001, 1, 1), "52110108MJ0000003C": date(2010, 6, 30)}
SCORES = {"51110105MJ0000001A": Decimal("91.50"), "51110105MJ0000002B": Decimal("93.00"), "52110108MJ0000003C": Decimal("90.00")}


@pytest.fixture
def published(search_app):
    """Insert the organisations above at publication version 1, and return the published USCCs."""
    with search_app.app_context():
        for uscc, (name, is_published) in ORGS.items():
            add_org(uscc, name, published=is_published, score=SCORES.get(uscc), registered_on=REGISTERED.get(uscc))
        set_publication_version(1)
        db.session.commit()
    return {uscc for uscc, (_, is_published) in ORGS.items() if is_published}


def index_dir(app):
    return app.config["INDEX_DIR"]


def indexed_documents(app):
    """Return {uscc: stored fields} of every document in the current index."""
    searcher = search_index.open_searcher(index_dir(app))
    try:
        documents = list(searcher.documents())
    finally:
        searcher.close()
    usccs = [document["uscc"] for document in documents]
    assert len(usccs) == len(set(usccs)), "an organisation is indexed twice"
    return {document["uscc"]: document for document in documents}


def names_found(app, text, **kwargs):
    with app.test_request_context():
        return [hit["name"] for hit in published_matches(text, **kwargs)]


def usccs_found(app, text):
    with app.test_request_context():
        return {hit["uscc"] for hit in published_matches(text)}


def test_rebuild_indexes_exactly_the_published_organisations(search_app, published):
    with search_app.app_context():
        summary = search_index.rebuild(index_dir(search_app), db.session)
        status = search_index.index_status(index_dir(search_app), db.session)

    assert summary["documents"] == len(published)
    assert summary["version"] == 1
    assert set(indexed_documents(search_app)) == published
    assert search_index.index_version(index_dir(search_app)) == 1
    assert status["exists"] and status["documents"] == len(published)
    assert status["behind"] == 0 and status["size_bytes"] > 0


def test_rebuild_in_two_processes(search_app, published):
    with search_app.app_context():
        summary = search_index.rebuild(index_dir(search_app), db.session, procs=2)
        status = search_index.index_status(index_dir(search_app))

    assert summary["procs"] == 2
    assert set(indexed_documents(search_app)) == published
    assert status["documents"] == len(published)
    assert usccs_found(search_app, "蓝天") == {"51110105MJ0000002B"}


@pytest.mark.parametrize("procs", [1, 2])
def test_rebuild_in_batches(search_app, published, procs):
    """A large rebuild commits a writer per batch, each batch's segments unmerged."""
    with search_app.app_context():
        summary = search_index.rebuild(index_dir(search_app), db.session, procs=procs, batch_size=2)
        status = search_index.index_status(index_dir(search_app))
        published_now = set(search_index.published_usccs(db.session))

    assert summary["documents"] == len(published) == 3
    assert status["documents"] == 3 and status["segments"] >= 2
    assert set(indexed_documents(search_app)) == published == published_now
    assert usccs_found(search_app, "蓝天") == {"51110105MJ0000002B"}
    assert usccs_found(search_app, "北京") == published


def test_rebuild_keeps_the_previous_generation_only(search_app, published):
    with search_app.app_context():
        paths = [search_index.rebuild(index_dir(search_app), db.session)["path"] for _ in range(3)]

    generations = os.path.join(index_dir(search_app), search_index.GENERATIONS_DIR)
    assert sorted(os.listdir(generations)) == sorted(os.path.basename(path) for path in paths[1:])
    assert search_index.current_generation_path(index_dir(search_app)) == paths[2]


def test_document_for_an_organisation(search_app, published):
    with search_app.app_context():
        org = db.session.get(Organisation, "51110105MJ0000001A")
        org.former_names = ["北京少年基金会"]
        document = search_index.document_for(org)

    assert document["uscc"] == document["uscc_prefix"] == "51110105MJ0000001A"
    assert document["name_pinyin"] == "bei jing qing shao nian fa zhan ji jin hui | bei jing shao nian ji jin hui"
    assert document["name_initials"] == "bjqsnfzjjh bjsnjjh"
    assert document["evaluation_level"] == "none"
    assert document["score"] == Decimal("91.50") and document["score_sort"] == 9150
    assert document["registered_sort"] == 20150307
    assert document["name_sort"].decode().startswith("bei jing qing shao nian")


def test_catch_up_follows_unpublish_publish_and_rename(search_app, published):
    with search_app.app_context():
        search_index.rebuild(index_dir(search_app), db.session)
        unpublished = db.session.get(Organisation, "51110105MJ0000002B")
        unpublished.is_published, unpublished.changed_in_version = False, 2
        newly_published = db.session.get(Organisation, "52110108MJ0000004D")
        newly_published.is_published, newly_published.changed_in_version = True, 2
        renamed = db.session.get(Organisation, "52110108MJ0000003C")
        renamed.former_names = [renamed.name]
        renamed.name, renamed.changed_in_version = "北京市海淀区棋类运动协会", 2
        set_publication_version(2)
        db.session.commit()

        summary = search_index.catch_up(index_dir(search_app), db.session)

    assert summary["action"] == "catch_up"
    assert (summary["from_version"], summary["version"]) == (1, 2)
    assert (summary["deleted"], summary["added"]) == (2, 2)
    documents = indexed_documents(search_app)
    assert set(documents) == {"51110105MJ0000001A", "52110108MJ0000003C", "52110108MJ0000004D"}
    assert documents["52110108MJ0000003C"]["name"] == "北京市海淀区棋类运动协会"
    assert search_index.index_version(index_dir(search_app)) == 2
    assert names_found(search_app, "棋类运动") == ["北京市海淀区棋类运动协会"]
    assert names_found(search_app, "围棋") == ["北京市海淀区棋类运动协会"]  # by its former name
    assert names_found(search_app, "蓝天") == []


def test_catch_up_is_idempotent(search_app, published):
    with search_app.app_context():
        search_index.rebuild(index_dir(search_app), db.session)
        add_org("51110105MJ0000006F", "北京市朝阳区足球协会", version=2)
        db.session.get(Organisation, "51110105MJ0000001A").changed_in_version = 2
        set_publication_version(2)
        db.session.commit()
        first = search_index.catch_up(index_dir(search_app), db.session)

        # A crash after the index commit but before the version was recorded.
        generation = search_index.current_generation_path(index_dir(search_app))
        metadata_path = os.path.join(generation, search_index.METADATA_FILE)
        with open(metadata_path, encoding="utf-8") as f:
            metadata = json.load(f)
        with open(metadata_path, "w", encoding="utf-8") as f:
            json.dump({**metadata, "version": 1}, f)
        again = search_index.catch_up(index_dir(search_app), db.session)
        nothing_left = search_index.catch_up(index_dir(search_app), db.session)

    assert (first["deleted"], first["added"]) == (1, 2)
    assert (again["deleted"], again["added"]) == (2, 2)
    assert nothing_left["action"] == "none"
    assert set(indexed_documents(search_app)) == published | {"51110105MJ0000006F"}
    assert search_index.index_version(index_dir(search_app)) == 2


def test_catch_up_without_an_index_rebuilds(search_app, published):
    with search_app.app_context():
        summary = search_index.catch_up(index_dir(search_app), db.session)

    assert summary["action"] == "rebuild" and summary["reason"] == "no index"
    assert set(indexed_documents(search_app)) == published


def test_catch_up_rebuilds_an_index_ahead_of_the_database(search_app, published):
    with search_app.app_context():
        search_index.rebuild(index_dir(search_app), db.session)
        set_publication_version(0)
        db.session.commit()
        summary = search_index.catch_up(index_dir(search_app), db.session)

    assert summary["action"] == "rebuild"
    assert search_index.index_version(index_dir(search_app)) == 0


def test_writers_wait_for_each_other(search_app, published):
    with search_app.app_context():
        with search_index.index_write_lock(index_dir(search_app)):
            with pytest.raises(search_index.IndexBusy):
                search_index.catch_up(index_dir(search_app), db.session, lock_timeout=0.3)


def test_searcher_opened_before_a_rebuild_keeps_working(search_app, published):
    with search_app.app_context():
        search_index.rebuild(index_dir(search_app), db.session)

    with search_app.test_request_context():
        old_searcher = search_index.get_searcher()
        assert search_index.get_searcher() is old_searcher
        with search_app.app_context():
            add_org("51110105MJ0000007G", "北京市朝阳区蓝天足球俱乐部", version=2)
            set_publication_version(2)
            db.session.commit()
            search_index.rebuild(index_dir(search_app), db.session)

        # The old searcher still reads the generation it opened ...
        old_hits = [hit["uscc"] for hit in published_matches("蓝天", searcher=old_searcher)]
        assert old_hits == ["51110105MJ0000002B"]
    assert old_searcher.is_closed  # ... and was closed at the end of its request.

    # A new request sees the new index.
    assert usccs_found(search_app, "蓝天") == {"51110105MJ0000002B", "51110105MJ0000007G"}


def test_a_new_request_sees_a_catch_up(search_app, published):
    with search_app.app_context():
        search_index.rebuild(index_dir(search_app), db.session)
    assert usccs_found(search_app, "足球") == set()
    with search_app.app_context():
        add_org("51110105MJ0000008H", "北京市朝阳区足球协会", version=2)
        set_publication_version(2)
        db.session.commit()
        search_index.catch_up(index_dir(search_app), db.session)
    assert usccs_found(search_app, "足球") == {"51110105MJ0000008H"}


def test_search_without_an_index(search_app):
    with search_app.test_request_context():
        with pytest.raises(search_index.SearchIndexMissing):
            published_matches("蓝天")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("蓝天", ["北京市朝阳区蓝天志愿服务中心"]),  # a 2-character word inside a name
        ("少年发", ["北京青少年发展基金会"]),  # across jieba's word boundaries
        ("北京青少年发展基金会", ["北京青少年发展基金会"]),
        ("围棋协会", ["北京市海淀区围棋协会"]),
        ("bjqsn", ["北京青少年发展基金会"]),  # pinyin initials
        ("象棋", []),  # not published
    ],
)
def test_search_names(search_app, published, text, expected):
    with search_app.app_context():
        search_index.rebuild(index_dir(search_app), db.session)
    assert names_found(search_app, text) == expected


def test_whole_name_match_comes_first(search_app, published):
    with search_app.app_context():
        add_org("51110105MJ0000009J", "北京青少年发展基金会联合会", version=1)
        db.session.commit()
        search_index.rebuild(index_dir(search_app), db.session)
    assert names_found(search_app, "北京青少年发展基金会")[0] == "北京青少年发展基金会"
    assert names_found(search_app, "北京青少年发展基金会联合会")[0] == "北京青少年发展基金会联合会"


@pytest.mark.parametrize("text", ["a AND (b OR", "*", "名称:*", '"蓝天', "蓝天 OR", "NOT", "()", "", "   ", "x" * 500])
def test_search_names_treats_input_as_plain_text(search_app, published, text):
    with search_app.app_context():
        search_index.rebuild(index_dir(search_app), db.session)
    assert names_found(search_app, text) in ([], ["北京市朝阳区蓝天志愿服务中心"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5111", {"51110105MJ0000001A", "51110105MJ0000002B"}),
        ("51110105mj", {"51110105MJ0000001A", "51110105MJ0000002B"}),  # any case
        ("5211 0108", {"52110108MJ0000003C"}),  # separators ignored
        ("51110105MJ000000", {"51110105MJ0000001A", "51110105MJ0000002B"}),  # longer than the prefix terms
        ("51110105MJ0000001", {"51110105MJ0000001A"}),
        ("51110105MJ0000001A", {"51110105MJ0000001A"}),
        ("52110108MJ0000004D", set()),  # not published
        ("511", set()),  # too short for a prefix
    ],
)
def test_uscc_prefix_search(search_app, published, text, expected):
    with search_app.app_context():
        search_index.rebuild(index_dir(search_app), db.session)
    assert usccs_found(search_app, text) == expected


def test_uscc_prefix_field_is_a_single_term(search_app, published):
    with search_app.app_context():
        search_index.rebuild(index_dir(search_app), db.session)
    searcher = search_index.open_searcher(index_dir(search_app))
    try:
        prefix = normalise_uscc("52110108").lower()
        hits = searcher.search(wq.Term("uscc_prefix", prefix))
        assert [hit["uscc"] for hit in hits] == ["52110108MJ0000003C"]
    finally:
        searcher.close()


def test_fields_for_the_query_service(search_app, published):
    """The schema supports what the next issue needs: pinyin, filters, facets, sorts."""
    with search_app.app_context():
        search_index.rebuild(index_dir(search_app), db.session)
    searcher = search_index.open_searcher(index_dir(search_app))
    try:
        pairs = syllable_pairs(name_readings("北京轻少年").syllables)  # a homophone typo of 青少年
        hits = searcher.search(wq.And([wq.Term("name_pinyin", pair) for pair in pairs]))
        assert [hit["name"] for hit in hits] == ["北京青少年发展基金会"]
        initials = wq.And([wq.Term("name_initials", gram) for gram in ("qsn", "snf")])
        assert [hit["name"] for hit in searcher.search(initials)] == ["北京青少年发展基金会"]

        everything = wq.Every()
        by_district = searcher.search(everything, groupedby="district_code", limit=None).groups()
        assert {code: len(docs) for code, docs in by_district.items()} == {"110105": 2, "110108": 1}
        by_pinyin = searcher.search(everything, sortedby="name_sort", limit=None)
        # bei jing qing ... < bei jing shi chao ... < bei jing shi hai ...
        assert [hit["uscc"] for hit in by_pinyin] == ["51110105MJ0000001A", "51110105MJ0000002B", "52110108MJ0000003C"]
        by_score = searcher.search(everything, sortedby="score_sort", reverse=True, limit=None)
        assert [hit["score"] for hit in by_score] == [Decimal("93.00"), Decimal("91.50"), Decimal("90.00")]
        by_date = searcher.search(everything, sortedby="registered_sort", limit=None)
        assert [hit["registered_on"] for hit in by_date] == [date(2001, 1, 1), date(2010, 6, 30), date(2015, 3, 7)]
        filtered = searcher.search(wq.And([everything, wq.Term("grade", "A"), wq.Term("org_type", "social_group")]))
        assert {hit["uscc"] for hit in filtered} == {"51110105MJ0000001A", "51110105MJ0000002B"}
        assert cjk_bigrams("围棋协会") == ["围棋", "棋协", "协会"]
    finally:
        searcher.close()


@pytest.mark.parametrize("name", ["重庆银行行长协会", "北京市长跑协会", "北京IT协会（朝阳）", "绿色行动基金会"])
def test_name_readings_match_pypinyin_on_whole_names(name):
    expected = [syllable.lower() for syllable in lazy_pinyin(name) if syllable.isascii() and syllable.isalnum()]
    assert list(name_readings(name).syllables) == expected


def test_bigram_analyzer_offsets_allow_highlighting():
    text = "北京市朝阳区蓝天志愿服务中心"
    tokens = [(t.text, t.startchar, t.endchar) for t in CjkBigramAnalyzer()(text, chars=True)]
    assert ("蓝天", 6, 8) in tokens
    formatter = highlight.HtmlFormatter(tagname="mark", classname="", termclass="")
    marked = highlight.highlight(text, {"蓝天"}, CjkBigramAnalyzer(), highlight.WholeFragmenter(), formatter)
    assert "<mark" in marked and "蓝天</mark>" in marked
    assert name_readings("北京IT协会").initials == "bjitxh"


def test_cli_rebuild_catch_up_and_status(search_app, published):
    runner = search_app.test_cli_runner()

    result = runner.invoke(args=["search", "status"])
    assert result.exit_code == 1 and "none" in result.output

    result = runner.invoke(args=["search", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "search index: 3 documents, version 1, built in" in result.output

    result = runner.invoke(args=["search", "catch-up"])
    assert result.exit_code == 0 and "already at version 1" in result.output

    with search_app.app_context():
        add_org("51110105MJ0000010K", "北京市朝阳区足球协会", version=2)
        set_publication_version(2)
        db.session.commit()
    result = runner.invoke(args=["search", "catch-up"])
    assert result.exit_code == 0 and "version 1 -> 2, 0 removed, 1 added" in result.output

    result = runner.invoke(args=["search", "status"])
    assert result.exit_code == 0
    assert "4 documents, version 2 (publication version 2: up to date)" in result.output


def test_name_fields_tell_current_names_from_former_names():
    """Former names' terms are prefixed: as many postings as one field, and current names can rank first."""
    from portal.search.schema import build_schema

    schema = build_schema()
    assert list(schema["name_bigrams"].process_text("北京蓝天\n蓝天")) == ["北京", "京蓝", "蓝天", "~蓝天"]
    pinyin = list(schema["name_pinyin"].process_text("bei jing lan | lan tian"))
    assert pinyin == ["bei_jing", "jing_lan", "~lan_tian"]  # no pair across two names
    assert list(schema["name_initials"].process_text("bjlt lt")) == ["bj", "bjl", "jl", "jlt", "lt", "~lt"]


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("北京市朝阳区建国路88号院3号楼1205室", "建国路88号"),
        ("北京市海淀区中关村大街27号", "中关村大街"),
        ("北京市海淀区中关村大街27号", "海淀 中关村"),
        ("为老年人提供日间照料、助餐和康复服务。", "日间照料"),
        ("开展社区养老服务，组织志愿者培训。", "养老服务"),
    ],
)
def test_free_text_words(text, query):
    """A query's words (precise mode) are among the words indexed for the text (search mode)."""
    from portal.search.analysis import TEXT_STOP_WORDS, query_text_words, text_words

    indexed = text_words(text)
    assert query_text_words(query) and set(query_text_words(query)) <= set(indexed)
    assert len(indexed) == len(set(indexed))  # each word once: existence is all the index records
    assert not set(indexed) & TEXT_STOP_WORDS
    assert all(len(word) >= 2 for word in indexed)  # no single characters (号, 室, 为, 和)


def test_address_and_business_scope_are_indexed(search_app, published):
    from whoosh.codec.whoosh3 import W3Codec

    with search_app.app_context():
        org = db.session.get(Organisation, "51110105MJ0000002B")
        org.address = "北京市朝阳区望京街道阜通东大街6号"
        org.business_scope = "开展社区养老服务和日间照料。"
        db.session.commit()
        search_index.rebuild(index_dir(search_app), db.session)
    searcher = search_index.open_searcher(index_dir(search_app))
    try:
        def found(fieldname, *words):
            hits = searcher.search(wq.And([wq.Term(fieldname, word) for word in words]), limit=None)
            return {hit["uscc"] for hit in hits}

        assert found("address", "望京", "街道") == {"51110105MJ0000002B"}
        assert found("business_scope", "日间", "照料") == {"51110105MJ0000002B"}
        assert found("business_scope", "科普") == {"51110105MJ0000001A", "52110108MJ0000003C"}  # unpublished: never
        assert found("address", "北京市") == set()  # the city is in every address: not a term
        stored = searcher.stored_fields(searcher.document_number(uscc="51110105MJ0000002B"))
        assert stored["address"] == "北京市朝阳区望京街道阜通东大街6号"
        # The index records Whoosh's own codec: reading it needs nothing of the build's.
        assert {type(segment.codec()) for segment in searcher.reader().segments()} == {W3Codec}
    finally:
        searcher.close()


def test_opening_and_querying_an_index_loads_no_jieba_analyse(tmp_path):
    """jieba.analyse loads ~95 MB of tables search never uses; the schema must not pickle a class from it."""
    script = f"""
import sys
import whoosh.index
from portal.search.schema import build_schema
whoosh.index.create_in({str(tmp_path)!r}, build_schema()).close()
for name in [name for name in sys.modules if name.startswith(("jieba", "portal.search"))]:
    del sys.modules[name]
ix = whoosh.index.open_dir({str(tmp_path)!r})
list(ix.schema["name"].process_text("北京市青少年发展基金会", mode="query"))
print(sorted(name for name in sys.modules if name.startswith("jieba.analyse") or name == "jieba.posseg"))
"""
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "[]"
