"""The relevance benchmark's data and arithmetic (bench/relevance.py), without building its demo."""

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "relevance.py"
spec = importlib.util.spec_from_file_location("relevance_bench", BENCH)
relevance = importlib.util.module_from_spec(spec)
spec.loader.exec_module(relevance)

ISSUE_EXAMPLES = ("朝阳区养老服务中心", "海淀区幼儿园", "朝阳区养老院", "北京青少年发展基金会", "东城心理", "营养协会东城",
                  "残联", "朝阳 养老", "haidianyoueryuan")
CLASSES = ("district+type", "district+word", "word-order", "district-trap", "beijing-prefix", "abbreviation",
           "synonym", "scope", "place", "pinyin-spaced", "pinyin-unspaced", "initials", "typo", "pinyin-typo",
           "former-name", "person", "uscc", "none")


def org(name, district="110105", former=(), person="王小明", scope="", address="", unit="", uscc="X"):
    return {"uscc": uscc, "name": name, "former_names": tuple(former), "district_code": district,
            "org_type": "social_service", "legal_representative": person, "address": address,
            "business_scope": scope, "supervising_unit": unit}


def test_the_query_set_covers_every_class_and_the_issue_examples():
    settings, queries = relevance.read_queries()
    assert settings == {"seed": 1, "organisations": 60000}
    assert len(queries) >= 300
    by_class = {}
    for query in queries:
        by_class.setdefault(query.cls, []).append(query)
    assert set(by_class) == set(CLASSES)
    assert all(len(found) >= 10 for found in by_class.values())
    texts = {query.text for query in queries}
    assert set(ISSUE_EXAMPLES) <= texts
    assert all(relevance.parse_expect(query.expect) == relevance.NONE for query in by_class["none"])


def test_every_query_has_its_stored_answer_for_the_same_demo():
    settings, queries = relevance.read_queries()
    stored_settings, digests = relevance.read_expected()
    assert stored_settings == settings
    assert set(digests) == {query.id for query in queries}


@pytest.mark.parametrize(
    ("criterion", "organisation", "expected"),
    [
        ("district:110105 & name:养老院", org("北京市朝阳区蓝天养老院"), True),
        ("district:110105 & name:养老院", org("北京市密云区朝阳花养老院", district="110118"), False),
        ("name:敬老院|养老院", org("北京市朝阳区蓝天养老院"), True),
        ("exact:北京市青少年发展基金会", org("北京市青少年发展基金会第二"), False),
        ("names:春苗托儿所", org("北京市海淀区春苗幼儿园", former=["北京市海淀区春苗托儿所"]), True),
        ("former:春苗托儿所", org("北京市海淀区春苗托儿所"), False),
        ("person:王小明", org("x", person="王小明明"), False),
        ("unit:残疾人联合会 || name:残疾人联合会", org("x", unit="北京市残疾人联合会"), True),
        ("scope:日间照料 & !district:110105", org("x", scope="开展日间照料服务"), False),
        ("code:581740211", org("x", uscc="51110000581740211J"), True),
        ("any:潘家园", org("x", address="北京市朝阳区潘家园街道"), True),
    ],
)
def test_a_criterion_is_plain_string_tests_on_the_row(criterion, organisation, expected):
    assert relevance.matches(organisation, relevance.parse_expect(criterion)) is expected


def test_a_criterion_with_an_unknown_field_is_refused():
    with pytest.raises(SystemExit, match="not field:value"):
        relevance.parse_expect("nmae:养老院")


def test_recall_counts_the_first_five_against_what_could_be_right():
    query = relevance.Query("q1", "c", "text", "name:x")
    broad = relevance.Scores()
    # Ten right answers; the first five results hold four of them, the first is wrong.
    broad.add(query, tuple(f"R{i}" for i in range(10)), relevance.Answer(("W", "R1", "R2", "R3", "R4"), 5))
    assert broad.mean(broad.recall5) == pytest.approx(0.8)
    assert broad.mean(broad.recall1) == 0 and broad.mean(broad.reciprocal_ranks) == pytest.approx(0.5)
    single = relevance.Scores()
    single.add(query, ("R",), relevance.Answer(("A", "B", "C", "D", "R"), 40))
    single.add(query, ("R",), relevance.Answer(("A", "B", "C", "D", "E", "R"), 40))
    single.add(query, ("R",), relevance.Answer((), 0))
    assert single.mean(single.recall5) == pytest.approx(1 / 3)
    assert single.mean(single.reciprocal_ranks) == pytest.approx((1 / 5 + 1 / 6) / 3)
    assert single.zero == 1 and len(single.misses) == 2


def test_a_none_query_is_right_with_no_result_or_only_partial_ones():
    query = relevance.Query("n1", "none", "asdf", "none")
    scores = relevance.Scores()
    scores.add(query, (), relevance.Answer((), 0))
    scores.add(query, (), relevance.Answer(("A",), 1, partial=True))
    scores.add(query, (), relevance.Answer(("A",), 1))
    assert scores.answerable == 0 and len(scores.misses) == 1
    missed = relevance.verdicts({"none": scores}, scores)
    assert missed == ["1 of 3 none queries found something"]
