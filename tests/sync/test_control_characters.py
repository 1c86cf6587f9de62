"""Control characters from the scoring database (issue 14, finding 5).

A NUL in one organisation's name made every PostgreSQL sync fail, and other
control characters made the Atom feed invalid XML. Every text the scoring
reader returns is cleaned; the row is recorded on the run
(``invalid_characters``) and still applied; one bad row never fails a run.
Every XML output stays well-formed for any text (a property test), also for
text stored before the cleaning existed.

PostgreSQL cannot store a NUL in text, so the NUL cases write the scoring
database as SQLite; the portal database is SQLite or PostgreSQL (``backend``).
"""

import io
import json
from datetime import datetime, timedelta
from xml.etree import ElementTree

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.characters import clean_text, xml_text
from portal.extensions import db
from portal.opendata import feeds, sitemap
from portal.publication.models import CreditEvent, ListEntry, Organisation
from portal.scoring import schema
from portal.scoring.schema import scoring_metadata
from portal.sync.models import SyncRun
from tests.scoring_builder import ScoringBuilder, make_uscc
from tests.synced_portal import sync_at

NIGHTS = [datetime(2026, 11, 2, 18, 30) + timedelta(days=n) for n in range(3)]
ATOM = "{http://www.w3.org/2005/Atom}"
#: Every C0 control but tab, newline and carriage return, DEL and every C1 control.
CONTROLS = "".join(chr(code) for code in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)])


@pytest.mark.parametrize(
    ("text", "expected", "removed"),
    [
        ("北京市测试协会", "北京市测试协会", False),
        ("北京市\x00测试协会", "北京市测试协会", True),
        ("a\x01b\x1bc\x7fd\x85e\x9f", "abcde", True),
        ("tab\there\nnew line", "tab\there\nnew line", False),
        ("windows\r\nline\rbreaks", "windows\nline\nbreaks", False),
        ("\r\n\x00", "\n", True),
        ("lone \udced\udca0\udc80 surrogate", "lone  surrogate", True),
        ("non\ufffecharacter\uffff", "noncharacter", True),
        ("emoji 😀 and CJK Ext B 𠀀", "emoji 😀 and CJK Ext B 𠀀", False),
        (CONTROLS, "", True),
    ],
)
def test_clean_text(text, expected, removed):
    assert clean_text(text) == (expected, removed)


# -- through the real sync ----------------------------------------------------------------------


@pytest.fixture
def sqlite_scoring(app, tmp_path):
    """A scoring database on SQLite (it can hold a NUL), used by ``app`` whatever its portal backend."""
    url = f"sqlite:///{tmp_path / 'scoring-with-nul.db'}"
    engine = sa.create_engine(url)
    scoring_metadata.create_all(engine)
    engine.dispose()
    builder = ScoringBuilder(url)
    builder.rule_set()
    app.config["SCORING_DATABASE_URL"] = url
    yield builder
    builder.dispose()


def rejections_of(app, run_id):
    with app.app_context():
        run = db.session.get(SyncRun, run_id)
        return run.rejected, run.rejections


def test_a_nul_in_one_name_does_not_fail_the_sync(app, sqlite_scoring, monkeypatch):
    """The finding as reported: on PostgreSQL every sync failed, every night, for one NUL."""
    sqlite_scoring.organisation(1, name="北京市\x00零字符协会")
    sqlite_scoring.organisation(2, name="北京市正常协会")
    for night in NIGHTS[:2]:
        result = sync_at(app, monkeypatch, night)
        sqlite_scoring.tick(days=1)
        sqlite_scoring.update_organisation(make_uscc(1), business_scope=f"业务 {night:%d}")
    _, rejections = rejections_of(app, result.run_id)
    assert {"table": "organisations", "key": make_uscc(1), "reason": "invalid_characters", "columns": ["name"]} in rejections
    with app.app_context():
        assert db.session.get(Organisation, make_uscc(1)).name == "北京市零字符协会"
        assert db.session.get(Organisation, make_uscc(1)).is_published


def write_dirty_rows(builder):
    """Organisation 1: a NUL in its name; 2: controls in several columns; 3: undecodable bytes; 4: clean."""
    builder.organisation(
        1, name="北京市\x00零字符协会", former_names=["北京\x00旧名", "旧名\u0001二"], legal_representative="张\x00三"
    )
    builder.organisation(
        2,
        name="北京市\x1b[31m控制\x07字符\x85协会",
        address="北京市东城区\r\n测试路\x0c1号",
        business_scope="业务\x01范围\x7f\t说明",
        registration_authority="北京市民政局\x9b",
    )
    builder.organisation(3, name="placeholder")
    # Bytes that are not UTF-8 (a lone surrogate's CESU-8 form): SQLite keeps them as they are.
    builder.execute(
        sa.text("UPDATE organisations SET name = CAST(X'E58C97E4BAACEDA080E5B882' AS TEXT) || '坏字节协会' WHERE uscc = :uscc"),
        {"uscc": make_uscc(3)},
    )
    builder.organisation(4, name="北京市干净协会")
    builder.event("E1", make_uscc(2), description="说明\x00文字\x1f")
    builder.list_entry("L1", make_uscc(2), reason="原因\x00\x02")


def test_a_nul_and_other_controls_are_cleaned_recorded_and_applied(app, sqlite_scoring, monkeypatch):
    write_dirty_rows(sqlite_scoring)
    result = sync_at(app, monkeypatch, NIGHTS[0])
    assert result.published == 4
    rejected, rejections = rejections_of(app, result.run_id)
    recorded = {(item["table"], item["key"]): item for item in rejections}
    assert {key for key, item in recorded.items() if item["reason"] == "invalid_characters"} == {
        ("organisations", make_uscc(1)),
        ("organisations", make_uscc(2)),
        ("organisations", make_uscc(3)),
        ("credit_events", "E1"),
        ("list_entries", "L1"),
    }
    assert rejected == len(rejections) == 5
    assert set(recorded[("organisations", make_uscc(1))]["columns"]) == {"name", "former_names", "legal_representative"}
    assert set(recorded[("organisations", make_uscc(2))]["columns"]) == {
        "name", "business_scope", "registration_authority", "address",
    }
    with app.app_context():
        one = db.session.get(Organisation, make_uscc(1))
        assert one.name == "北京市零字符协会" and one.is_published
        assert one.former_names == ["北京旧名", "旧名二"] and one.legal_representative == "张三"
        two = db.session.get(Organisation, make_uscc(2))
        assert two.name == "北京市[31m控制字符协会"
        assert two.address == "北京市东城区\n测试路1号"  # CRLF is a line break, not damage
        assert two.business_scope == "业务范围\t说明" and two.registration_authority == "北京市民政局"
        assert db.session.get(Organisation, make_uscc(3)).name == "北京市坏字节协会"
        assert db.session.get(CreditEvent, "E1").description == "说明文字"
        assert db.session.get(ListEntry, "L1").reason == "原因"

    # The next night reads the same rows again (they change): the run succeeds again.
    sqlite_scoring.tick(days=1)
    sqlite_scoring.update_organisation(make_uscc(1), name="北京市零字符\x00协会")
    second = sync_at(app, monkeypatch, NIGHTS[1])
    _, rejections = rejections_of(app, second.run_id)
    (again,) = [item for item in rejections if item["key"] == make_uscc(1)]
    assert again["reason"] == "invalid_characters" and "name" in again["columns"]
    with app.app_context():
        assert db.session.get(Organisation, make_uscc(1)).name == "北京市零字符协会"


def test_every_xml_output_of_a_synced_dirty_organisation_is_well_formed(app, client, sqlite_scoring, monkeypatch):
    write_dirty_rows(sqlite_scoring)
    sync_at(app, monkeypatch, NIGHTS[0])
    sqlite_scoring.tick(days=1)
    sqlite_scoring.score(make_uscc(2), "C")  # an exit, in the changes feed
    sync_at(app, monkeypatch, NIGHTS[1])
    for language in ("zh", "en"):
        for path in ("/feeds/changes.atom", f"/org/{make_uscc(1)}/feed.atom", f"/org/{make_uscc(3)}/feed.atom"):
            response = client.get(path, query_string={"lang": language})
            assert response.status_code == 200, path
            feed = ElementTree.fromstring(response.data)
            titles = " ".join(entry.findtext(f"{ATOM}title") for entry in feed.iter(f"{ATOM}entry"))
            if path == "/feeds/changes.atom":
                # The first sync's entries are one entry there ("首次发布：N 家"); the dirty names entered then.
                assert ("首次发布" if language == "zh" else "First publication") in titles, (path, titles)
            else:
                assert "北京市零字符协会" in titles or "北京市坏字节协会" in titles, (path, titles)
    for path in ("/sitemap.xml", "/sitemaps/pages.xml", "/sitemaps/orgs-1.xml"):
        response = client.get(path)
        assert response.status_code == 200
        ElementTree.fromstring(response.data)


def test_controls_from_a_scoring_database_of_the_same_backend(app, scoring, monkeypatch, client):
    """On PostgreSQL too (which stores every control but NUL): the text is cleaned and the row applied."""
    scoring.organisation(1, name="北京市\x01\x1b控制\x7f协会", business_scope="范围\x85\x9f")
    result = sync_at(app, monkeypatch, NIGHTS[0])
    _, rejections = rejections_of(app, result.run_id)
    assert rejections == [
        {"table": "organisations", "key": make_uscc(1), "reason": "invalid_characters", "columns": ["name", "business_scope"]}
    ]
    with app.app_context():
        assert db.session.get(Organisation, make_uscc(1)).name == "北京市控制协会"
    ElementTree.fromstring(client.get("/feeds/changes.atom").data)


def test_feeds_stay_well_formed_for_text_stored_before_the_cleaning(app, scoring, monkeypatch, client):
    """Defence in depth: a name already stored with control characters never breaks the XML."""
    scoring.organisation(1, name="北京市旧数据协会")
    sync_at(app, monkeypatch, NIGHTS[0])
    dirty = "北京市\x01旧\x1b数据\x0b协会\ufffe"
    with app.app_context():
        db.session.execute(sa.update(Organisation).values(name=dirty))
        from portal.publication.models import ListChange

        db.session.execute(sa.update(ListChange).values(name=dirty))
        db.session.commit()
    # The changes feed shows the first sync as one entry; the organisation's own feed names it.
    feed = ElementTree.fromstring(client.get("/feeds/changes.atom").data)
    assert [entry.findtext(f"{ATOM}title") for entry in feed.iter(f"{ATOM}entry")] == ["首次发布：1 家"]
    feed = ElementTree.fromstring(client.get(f"/org/{make_uscc(1)}/feed.atom").data)
    assert "北京市旧数据协会" in " ".join(entry.findtext(f"{ATOM}title") for entry in feed.iter(f"{ATOM}entry"))


# -- any text: a property test ----------------------------------------------------------------------

#: Any Unicode text: controls, noncharacters, private use, astral planes; surrogates too (they reach
#: us from undecodable bytes of an SQLite scoring database).
#: The hard characters are also drawn on their own, so that most examples have some.
#: (A list joined, not st.text: text() never draws a surrogate.)
ANY_TEXT = st.lists(
    st.one_of(
        st.characters(exclude_categories=()),
        st.sampled_from(CONTROLS + "\r\ud800\udbff\udc00\udfff\ufffe\uffff"),
        st.integers(0xD800, 0xDFFF).map(chr),
    ),
    max_size=60,
).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=ANY_TEXT, other=ANY_TEXT)
def test_feed_is_well_formed_for_any_text(name, other):
    cleaned, _ = clean_text(name)
    assert xml_text(cleaned) == cleaned  # cleaned text is always valid XML text
    moment = datetime(2026, 11, 2, 18, 30)
    entries = [
        feeds.FeedEntry(id=f"urn:{other}", title=name, updated=moment, link=f"http://localhost/{other}",
                        summary=name + other, category=other),
        feeds.FeedEntry(id="urn:x", title=cleaned, updated=moment, link="http://localhost/x", summary=cleaned,
                        category="entry"),
    ]
    body = feeds.build_feed(
        feed_id=f"urn:{name}", title=name, subtitle=other, updated=moment, self_url="http://localhost/feed",
        alternate_url=f"http://localhost/{name}", author=other, author_url="http://localhost/", language=other,
        data_as_of=moment, entries=entries,
    )
    feed = ElementTree.fromstring(body)
    titles = [entry.findtext(f"{ATOM}title") or "" for entry in feed.iter(f"{ATOM}entry")]
    assert titles[1] == cleaned


@settings(max_examples=200, deadline=None)
@given(location=ANY_TEXT)
def test_sitemap_is_well_formed_for_any_text(location):
    for write in (
        lambda handle: sitemap.write_index(handle, [location, "http://localhost/x"], "2026-11-02T18:30:00Z"),
        lambda handle: sitemap.write_pages(handle, [(location, "daily")], None),
    ):
        handle = io.StringIO()
        write(handle)
        ElementTree.fromstring(handle.getvalue().encode("utf-8"))  # as the file is written: strict UTF-8


def test_property_strategy_reaches_the_hard_characters():
    """The strategy above does draw controls and surrogates (or the property test proves little)."""
    seen = set()

    @settings(max_examples=500, deadline=None, database=None)
    @given(ANY_TEXT)
    def collect(text):
        seen.update(text)

    collect()
    assert any(character < " " for character in seen)
    assert any("\ud800" <= character <= "\udfff" for character in seen)


def test_reader_json_texts_are_cleaned(app, sqlite_scoring):
    """"\\u0000" inside the JSON of former names is a NUL once parsed: it is cleaned too."""
    sqlite_scoring.organisation(1)
    sqlite_scoring.execute(
        schema.organisations.update().values(former_names=json.dumps(["旧\u0000名", "旧\u0007名二"]))
    )
    from portal.scoring import get_scoring_engine
    from portal.scoring.reader import CLEANED_COLUMNS, ScoringReader

    with app.app_context(), ScoringReader(get_scoring_engine()) as reader:
        (row,) = list(reader.organisations())
    assert row["former_names"] == ["旧名", "旧名二"]
    assert row[CLEANED_COLUMNS] == ["former_names"]


@pytest.mark.parametrize("bad", [1, 5, 9])
def test_undecodable_bytes_mid_stream_lose_and_repeat_no_row(app, sqlite_scoring, bad):
    """The reader decodes strictly (SQLite's own, fast) and turns tolerant at the first bad value, then reads on."""
    from portal.scoring import get_scoring_engine
    from portal.scoring.reader import CLEANED_COLUMNS, ScoringReader

    for number in range(1, 10):
        sqlite_scoring.organisation(number)
        sqlite_scoring.event(f"E{number}", make_uscc(number))
    sqlite_scoring.execute(
        sa.text("UPDATE credit_events SET description = CAST(X'E58C97EDA080' AS TEXT) WHERE event_id = :key"),
        {"key": f"E{bad}"},
    )
    with app.app_context(), ScoringReader(get_scoring_engine(), chunk_size=2) as reader:
        events = list(reader.credit_events())
        organisations = list(reader.organisations())
    assert [event["event_id"] for event in events] == [f"E{number}" for number in range(1, 10)]
    assert [row["uscc"] for row in organisations] == [make_uscc(number) for number in range(1, 10)]
    damaged = [event for event in events if CLEANED_COLUMNS in event]
    assert [(event["event_id"], event["description"], event[CLEANED_COLUMNS]) for event in damaged] == [
        (f"E{bad}", "北", ["description"])
    ]
