"""The demo scoring-database generator and its nightly changes."""

import json
import random
import shutil
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from stdnum.cn import uscc as uscc_number

from portal.demo import catalogue
from portal.demo.factory import Batch, OrganisationFactory
from portal.demo.shape import generation_time, grade_for
from portal.demo.generator import (
    DemoDatabaseError,
    advance_night,
    demo_night,
    generate_scoring_db,
)
from portal.demo import names as demo_names
from portal.demo.detail_words import COMPOUND_SURNAMES
from portal.demo.name_words import ANCHOR_ORGANISATIONS, GROUP_QUALIFIERS, LOCALITIES
from portal.demo.names import name_key, unique_organisation_name
from tests.conftest import DEMO_TODAY
from portal.reference import DISTRICT_NAMES_ZH, ORG_TYPE_USCC_PREFIX
from portal.scoring.schema import (
    EVENT_STATUSES,
    GRADES,
    LIST_TYPES,
    REGISTRATION_STATUSES,
    credit_events,
    credit_scores,
    list_entries,
    organisations,
    rule_set_dimensions,
    rule_set_grade_bands,
    rule_set_items,
    rule_sets,
    scoring_metadata,
)


GENERATION_TIME = generation_time(DEMO_TODAY)


def read(url, table, order_by=None):
    """Return every row of ``table`` as dicts, in primary-key order."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            statement = sa.select(table).order_by(*(order_by or table.primary_key.columns))
            return [dict(row) for row in connection.execute(statement).mappings()]
    finally:
        engine.dispose()


def dump(url):
    return {table.name: read(url, table) for table in scoring_metadata.sorted_tables}


def cents(value):
    return int((Decimal(value) * 100).to_integral_value())


def bands_of(url):
    return [
        (row["grade"], cents(row["min_score"]), cents(row["max_score"]))
        for row in read(url, rule_set_grade_bands)
    ]


def grades_by_uscc(url):
    return {row["uscc"]: row["grade"] for row in read(url, credit_scores)}


def test_usccs_are_valid_with_type_prefix_and_registrar(scoring_url):
    generate_scoring_db(scoring_url, orgs=400, seed=1)
    orgs = read(scoring_url, organisations)
    assert len(orgs) == 400
    for org in orgs:
        uscc = org["uscc"]
        assert uscc_number.is_valid(uscc), uscc
        assert uscc[:2] == ORG_TYPE_USCC_PREFIX[org["org_type"]]
        assert uscc[2:8] == org["district_code"]
        assert org["district_code"] in DISTRICT_NAMES_ZH
        assert DISTRICT_NAMES_ZH[org["district_code"]] in org["registration_authority"]
        assert org["registration_status"] in REGISTRATION_STATUSES
    municipal = sum(org["district_code"] == "110000" for org in orgs)
    assert 0.1 < municipal / len(orgs) < 0.35


def test_names_are_unique_and_realistic(scoring_url):
    generate_scoring_db(scoring_url, orgs=600, seed=3)
    orgs = read(scoring_url, organisations)
    names = [org["name"] for org in orgs]
    assert len(set(names)) == len(names)
    every_name = names + [name for org in orgs for name in json.loads(org["former_names"] or "[]")]
    assert len({name_key(name) for name in every_name}) == len(every_name)
    assert {name for name, *_ in ANCHOR_ORGANISATIONS} <= set(names)
    assert any("蓝天" in name for name in names)
    assert all(name.startswith("北京") for name in names)
    former = [json.loads(org["former_names"]) for org in orgs if org["former_names"]]
    assert former and all(isinstance(names, list) and names for names in former)
    assert not set(names) & {name for names in former for name in names}
    for org in orgs:
        suffix = {"foundation": "基金会"}.get(org["org_type"])
        if suffix:
            assert org["name"].endswith(suffix)
    assert all(org["address"].startswith("北京市") for org in orgs)
    assert any(org["supervising_unit"] is None for org in orgs)
    assert {org["evaluation_level"] for org in orgs} == {None, 1, 2, 3, 4, 5}
    for org in orgs:
        assert 1990 <= org["registered_on"].year <= 2025
        assert org["updated_at"] <= GENERATION_TIME


def test_a_name_that_differs_only_by_the_beijing_prefix_is_taken(monkeypatch):
    drawn = iter(["北京市阳光基金会", "北京阳光基金会", "阳光基金会", "北京星光基金会"])
    monkeypatch.setitem(demo_names.NAME_BUILDERS, "foundation", lambda rng, registrar: (next(drawn), "公益"))
    taken = set()
    first = unique_organisation_name(None, "foundation", "110000", taken)[0]
    second = unique_organisation_name(None, "foundation", "110000", taken)[0]
    assert (first, second) == ("北京市阳光基金会", "北京星光基金会")
    assert name_key("北京市朝阳区阳光协会") == name_key("北京朝阳区阳光协会") == "朝阳区阳光协会"


def test_names_addresses_and_scopes_have_the_variety_of_a_register():
    factory = OrganisationFactory(random.Random(16), today=DEMO_TODAY)
    batch = Batch()
    for index in range(4000):
        factory.generated_organisation(batch, index)
    orgs = batch.organisations
    names = [org["name"] for org in orgs]
    for kind in ("幼儿园", "托育中心", "养老院", "敬老院", "养老照料中心", "老年公寓", "养老服务中心", "学会"):
        assert any(name.endswith(kind) for name in names), kind
    assert not [name for name in names if any(word in name for word in ("学学会", "颐养养老院", "家庭家庭"))]
    assert any(name.endswith(("盲人协会", "聋人协会", "肢残人协会")) for name in names)
    assert not [name for name in names for who in GROUP_QUALIFIERS if who + "盲人" in name or who + "聋人" in name]
    assert any(name.startswith("北京") and not name.startswith("北京市") for name in names)
    # A 敬老院 may be named after its locality alone (北京市通州区宋庄敬老院).
    assert any(name.removesuffix("敬老院").endswith(tuple(LOCALITIES[org["district_code"]]))
               for org in orgs if (name := org["name"]).endswith("敬老院") and org["district_code"] != "110000")
    addresses = [org["address"] for org in orgs]
    assert any("街道" in a and "社区" in a for a in addresses) and any("镇" in a and "村" in a for a in addresses)
    units = {org["supervising_unit"] for org in orgs}
    for unit in ("北京市残疾人联合会", "北京市文学艺术界联合会", "北京市社会科学界联合会", "北京市总工会"):
        assert unit in units
    for org in orgs:
        if org["name"].endswith("幼儿园"):
            assert "学前教育" in org["business_scope"] or "幼儿" in org["business_scope"]
        if org["name"].endswith(("养老院", "敬老院", "老年公寓")):
            assert "老年人" in org["business_scope"] or "养老" in org["business_scope"]
    former = [name for org in orgs for name in json.loads(org["former_names"] or "[]")]
    assert any(name.endswith(("托儿所", "服务社", "联谊会", "托老所")) for name in former)
    people = [org["legal_representative"] for org in orgs if org["legal_representative"]]
    assert any(person[:2] in COMPOUND_SURNAMES for person in people)
    assert {len(person) for person in people} >= {2, 3}


def test_demo_rule_set(scoring_url):
    generate_scoring_db(scoring_url, orgs=50, seed=1)
    (rule_set,) = read(scoring_url, rule_sets)
    assert rule_set["is_demo"] is True
    assert "演示规则（非官方）" in rule_set["name"]
    assert rule_set["base_score"] == 100
    dimensions = read(scoring_url, rule_set_dimensions, order_by=[rule_set_dimensions.c.position])
    assert [row["code"] for row in dimensions] == [
        "party_building",
        "integrity",
        "governance",
        "operations",
        "evaluation",
        "social",
    ]
    items = read(scoring_url, rule_set_items)
    assert len(items) >= 30
    assert {row["dimension_code"] for row in items} == {row["code"] for row in dimensions}
    assert any(row["points"] > 0 for row in items) and any(row["points"] < 0 for row in items)
    assert all(row["legal_basis"].startswith("《") for row in items)
    # Inclusive, contiguous, non-overlapping bands from A down to D.
    bands = sorted(bands_of(scoring_url), key=lambda band: -band[1])
    assert [grade for grade, _, _ in bands] == list(GRADES)
    for (_, low, _), (_, _, next_high) in zip(bands, bands[1:]):
        assert next_high == low - 1
    assert bands[-1][1] == 0


def test_scores_lie_in_their_bands_except_the_deliberate_few(scoring_url):
    summary = generate_scoring_db(scoring_url, orgs=1000, seed=2)
    bands = bands_of(scoring_url)
    scores = read(scoring_url, credit_scores)
    assert 950 < len(scores) < 1000  # a few organisations are not assessed yet
    assert {row["grade"] for row in scores} == set(GRADES)
    inconsistent = [row for row in scores if grade_for(cents(row["score"]), bands) != row["grade"]]
    assert len(inconsistent) == summary["inconsistent"] >= 1
    dimension_caps = {
        row["code"]: cents(row["max_points"]) for row in read(scoring_url, rule_set_dimensions)
    }
    for row in scores:
        points = {
            code: round(value * 100) for code, value in json.loads(row["dimension_scores"]).items()
        }
        assert points.keys() == dimension_caps.keys()
        assert sum(points.values()) == cents(row["score"])
        assert all(0 <= points[code] <= dimension_caps[code] for code in points)
        assert row["rule_set_version"] == catalogue.RULE_SET_VERSION
    counts = summary["grades"]
    assert counts["B"] > counts["A"] > counts["C"] > counts["D"] > 0


def test_events_and_list_entries(scoring_url):
    summary = generate_scoring_db(scoring_url, orgs=500, seed=4)
    events = read(scoring_url, credit_events)
    usccs = {org["uscc"] for org in read(scoring_url, organisations)}
    items = {row["item_code"]: row for row in read(scoring_url, rule_set_items)}
    assert summary["events"] == len(events)
    # Scores are made from the items: B, C and D organisations need enough minus items to be so.
    assert 2.5 < len(events) / 500 < 8
    assert {event["status"] for event in events} == set(EVENT_STATUSES)
    assert sum(event["is_public"] for event in events) > 0.85 * len(events)
    years = {event["effective_on"].year for event in events}
    assert {2019, 2022, 2026} <= years
    for event in events:
        assert event["uscc"] in usccs
        item = items[event["item_code"]]
        assert event["dimension_code"] == item["dimension_code"]
        assert event["points"] == item["points"]
        assert event["expires_on"] > event["effective_on"]
        assert event["updated_at"] <= GENERATION_TIME
        if event["status"] == "active":
            assert event["expires_on"] >= GENERATION_TIME.date()
    entries = read(scoring_url, list_entries)
    assert entries and {entry["list_type"] for entry in entries} == set(LIST_TYPES)
    assert any(entry["removed_on"] for entry in entries)
    assert all(entry["uscc"] in usccs for entry in entries)


def test_generation_is_deterministic_for_a_seed(tmp_path):
    urls = [f"sqlite:///{tmp_path / name}" for name in ("a.db", "b.db", "c.db")]
    generate_scoring_db(urls[0], orgs=300, seed=7)
    generate_scoring_db(urls[1], orgs=300, seed=7)
    generate_scoring_db(urls[2], orgs=300, seed=8)
    first = dump(urls[0])
    assert first == dump(urls[1])
    assert first["organisations"] != dump(urls[2])["organisations"]


def test_generation_replaces_an_existing_database(scoring_url):
    generate_scoring_db(scoring_url, orgs=200, seed=1)
    generate_scoring_db(scoring_url, orgs=100, seed=2)
    assert len(read(scoring_url, organisations)) == 100
    assert len(read(scoring_url, rule_sets)) == 1


def test_advance_night_moves_the_database_on_by_one_night(scoring_url):
    generate_scoring_db(scoring_url, orgs=1000, seed=5)
    before_orgs = {row["uscc"]: row for row in read(scoring_url, organisations)}
    before_grades = grades_by_uscc(scoring_url)
    before_events = {row["event_id"]: row for row in read(scoring_url, credit_events)}

    summary = advance_night(scoring_url, seed=1, changes_percent=5)

    night_start = datetime(2026, 11, 2, 1)
    assert summary["night"] == "2026-11-02"
    changed = set()
    for table in (organisations, credit_scores, credit_events, list_entries):
        for row in read(scoring_url, table):
            if row["updated_at"] > GENERATION_TIME:
                assert night_start <= row["updated_at"] < night_start + timedelta(hours=1)
                if table in (organisations, credit_scores):
                    changed.add(row["uscc"])
    assert len(changed) == summary["organisations_changed"]
    assert 0.02 < len(changed) / len(before_orgs) < 0.1

    after_orgs = {row["uscc"]: row for row in read(scoring_url, organisations)}
    new = after_orgs.keys() - before_orgs.keys()
    assert new and len(new) == summary["new_organisations"]
    assert all(uscc_number.is_valid(uscc) for uscc in new)
    cancelled = [
        uscc
        for uscc, org in before_orgs.items()
        if org["registration_status"] == "normal"
        and after_orgs[uscc]["registration_status"] == "cancelled"
    ]
    assert cancelled and len(cancelled) == summary["cancelled"]

    bands = bands_of(scoring_url)
    after_scores = {row["uscc"]: row for row in read(scoring_url, credit_scores)}
    for uscc in changed & after_scores.keys():
        row = after_scores[uscc]
        if row["updated_at"] > GENERATION_TIME:
            assert grade_for(cents(row["score"]), bands) == row["grade"]
    b_to_c = [
        u for u, grade in before_grades.items() if grade == "B" and after_scores[u]["grade"] == "C"
    ]
    c_up = [
        u for u, grade in before_grades.items() if grade == "C" and after_scores[u]["grade"] in "AB"
    ]
    assert len(b_to_c) >= 3 and len(c_up) >= 3
    assert (len(b_to_c), len(c_up)) == (summary["b_to_c"], summary["c_to_b_or_a"])

    after_events = {row["event_id"]: row for row in read(scoring_url, credit_events)}
    assert len(after_events) - len(before_events) == summary["events_added"] > 0
    assert summary["list_added"] >= 1
    repaired = [
        i
        for i, e in before_events.items()
        if e["status"] == "active" and after_events[i]["status"] == "repaired"
    ]
    assert len(repaired) == summary["events_repaired"]

    latest = demo_night(scoring_url)
    assert night_start <= latest < night_start + timedelta(hours=1)
    second = advance_night(scoring_url, seed=1, changes_percent=5)
    assert second["night"] == "2026-11-03"


def test_advance_night_is_deterministic_for_a_database_and_seed(tmp_path):
    paths = [tmp_path / name for name in ("a.db", "b.db", "c.db")]
    generate_scoring_db(f"sqlite:///{paths[0]}", orgs=500, seed=9)
    shutil.copy(paths[0], paths[1])
    shutil.copy(paths[0], paths[2])
    urls = [f"sqlite:///{path}" for path in paths]
    first = advance_night(urls[0], seed=4)
    second = advance_night(urls[1], seed=4)
    advance_night(urls[2], seed=5)
    first.pop("seconds"), second.pop("seconds")
    assert first == second
    assert dump(urls[0]) == dump(urls[1])
    assert dump(urls[0]) != dump(urls[2])


def test_advance_night_with_no_changes_only_expires_events(tmp_path):
    url = f"sqlite:///{tmp_path / 'scoring.db'}"
    generate_scoring_db(url, orgs=300, seed=1)
    summary = advance_night(url, seed=1, changes_percent=0)
    assert summary["organisations_changed"] == 0
    assert summary["events_added"] == 0


def test_advance_night_refuses_an_empty_database(scoring_url, tmp_path):
    with pytest.raises(DemoDatabaseError, match="no demo scoring database"):
        advance_night(scoring_url)
    with pytest.raises(DemoDatabaseError, match="no demo scoring database"):
        advance_night(f"sqlite:///{tmp_path / 'no-tables.db'}")
    assert demo_night(scoring_url) is None


def test_refuses_to_write_the_portal_database(app, runner):
    portal_url = app.config["SQLALCHEMY_DATABASE_URI"]
    with pytest.raises(DemoDatabaseError, match="portal database"):
        generate_scoring_db(portal_url, orgs=10)
    result = runner.invoke(args=["demo", "scoring-db", "--orgs", "10", "--url", portal_url])
    assert result.exit_code != 0
    assert "refusing" in result.output


def test_cli_generates_and_advances(runner, app):
    result = runner.invoke(args=["demo", "scoring-db", "--orgs", "300", "--seed", "2"])
    assert result.exit_code == 0, result.output
    assert "demo scoring db: 300 organisations" in result.output
    assert len(read(app.config["SCORING_DATABASE_URL"], organisations)) == 300

    result = runner.invoke(args=["demo", "advance-night", "--seed", "2", "--changes-percent", "10"])
    assert result.exit_code == 0, result.output
    assert "demo night 2026-11-02:" in result.output
    assert "B→C" in result.output


def test_cli_status_prints_the_demo_night(runner, app):
    result = runner.invoke(args=["demo", "status"])
    assert result.exit_code == 0, result.output
    assert "No demo scoring data yet" in result.output
    assert runner.invoke(args=["demo", "scoring-db", "--orgs", "50"]).exit_code == 0
    night = demo_night(app.config["SCORING_DATABASE_URL"])
    result = runner.invoke(args=["demo", "status"])
    assert result.exit_code == 0, result.output
    assert result.output == f"demo night: {night:%Y-%m-%d %H:%M:%S} UTC\n"

