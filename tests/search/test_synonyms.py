"""The abbreviation and synonym file of the search (portal/search/synonyms.tsv) and its loader."""

import os

import pytest

from portal.search.synonyms import (
    CATEGORIES,
    KINDS,
    SynonymFileError,
    load_synonyms,
    parse_synonyms,
)


def test_the_shipped_file_is_valid_and_covers_the_catalogue():
    thesaurus = load_synonyms()
    assert len(thesaurus) >= 150
    pairs = set()
    for entry in thesaurus.entries:
        assert entry.kind in KINDS
        assert entry.category in CATEGORIES
        assert len(entry.terms) >= 2 and len(set(entry.terms)) == len(entry.terms)
        for index, term in enumerate(entry.terms):
            for other in entry.terms[index + 1 :]:
                assert frozenset((term, other)) not in pairs, (term, other)
                pairs.add(frozenset((term, other)))
    assert {entry.category for entry in thesaurus.entries} == set(CATEGORIES)
    assert sum(entry.source is not None for entry in thesaurus.entries) >= 100
    # The examples of the issue, with the kind each is.
    assert "残疾人联合会" in thesaurus.equivalents("残联")
    assert {"敬老院", "养老服务中心"} <= set(thesaurus.related("养老院"))
    assert "幼儿园" in thesaurus.related("托育")
    assert "孤独症" in thesaurus.equivalents("自闭症")  # two names of one disorder
    assert "残疾人" in thesaurus.related("残障")


def test_lookups_are_symmetric_and_keep_kinds_apart():
    thesaurus = parse_synonyms("残联 = 残疾人联合会\t简称\t-\n养老院 ~ 敬老院 ~ 老年公寓\t类型\t-\n敬老院 ~ 福利院\t类型\t-\n")
    assert thesaurus.equivalents("残联") == ("残疾人联合会",)
    assert thesaurus.equivalents("残疾人联合会") == ("残联",)
    assert thesaurus.related("残联") == ()
    assert thesaurus.related("敬老院") == ("养老院", "老年公寓", "福利院")
    assert thesaurus.equivalents("敬老院") == ()
    assert thesaurus.equivalents("不在文件里") == thesaurus.related("不在文件里") == ()
    assert thesaurus.terms() == ("残联", "残疾人联合会", "养老院", "敬老院", "老年公寓", "福利院")
    assert [entry.line for entry in thesaurus.entries] == [1, 2, 3]
    assert thesaurus.entries[0].source is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("残联 残疾人联合会\t简称\t-", "line 1: no kind"),
        ("养老院 = 敬老院 ~ 老年公寓\t类型\t-", "line 1: mixes"),
        ("养老院 ~ 养老院\t类型\t-", "line 1: 养老院 twice in one entry"),
        ("养老院 ~ 敬老院\t类型\t-\n\n# comment\n敬老院 ~ 养老院\t类型\t-", "line 4: 敬老院 and 养老院 are already paired on line 1"),
        ("残联 = 残疾人联合会\t简称\t-\n残联 ~ 残疾人联合会\t简称\t-", "line 2: 残联 and 残疾人联合会 are already paired"),
        ("老人 = 老年人\t人群\t-\n老年人 = 长者\t人群\t-", "line 2: 老年人 is already in the equivalence of line 1"),
        ("残联 = 残疾人联合会\t缩写\t-", "line 1: category '缩写'"),
        ("残联 = 残疾人联合会\t简称\t", "line 1: no source"),
        ("残联 = 残疾人联合会\t简称", "line 1: 2 column(s)"),
        ("残 联 = 残疾人联合会\t简称\t-", "line 1: '残 联' is not a term"),
        ("残联 = ＣＬ\t简称\t-", "line 1: 'ＣＬ' is not a term"),
        ("残联 =  = 残疾人联合会\t简称\t-", "line 1: '' is not a term"),
    ],
)
def test_a_broken_file_is_refused_with_the_line(text, problem):
    with pytest.raises(SynonymFileError) as raised:
        parse_synonyms(text)
    assert any(found.startswith(problem) for found in raised.value.problems), raised.value.problems


def test_every_problem_is_reported_at_once():
    with pytest.raises(SynonymFileError) as raised:
        parse_synonyms("甲 乙\t简称\t-\n丙 = 丙\t简称\t-\n丁 = 戊\t别的\t-\n")
    assert [problem.split(":")[0] for problem in raised.value.problems] == ["line 1", "line 2", "line 3"]


def test_an_edit_is_read_without_a_restart(tmp_path):
    path = tmp_path / "synonyms.tsv"
    path.write_text("残联 = 残疾人联合会\t简称\t-\n", encoding="utf-8")
    assert load_synonyms(path).equivalents("残联") == ("残疾人联合会",)
    assert load_synonyms(path) is load_synonyms(path)
    path.write_text("残联 = 残疾人联合会\t简称\t-\n妇联 = 妇女联合会\t简称\t-\n", encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert load_synonyms(path).equivalents("妇联") == ("妇女联合会",)

