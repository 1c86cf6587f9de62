"""Query understanding (portal.search.understanding): districts, optional 北京, synonyms, pinyin; no index needed."""

import pytest

from portal.search.query import plan_query
from portal.search.understanding import understand


def parts_of(text):
    return [(part.kind, part.text) for part in understand(text).parts]


@pytest.mark.parametrize(
    ("text", "districts", "parts"),
    [
        ("朝阳区养老服务中心", ("110105",), [("han", "养老服务中心")]),
        ("营养协会东城", ("110101",), [("han", "营养"), ("han", "协会")]),
        ("幼儿园海淀", ("110108",), [("han", "幼儿园")]),
        ("北京青少年发展基金会", (), [("han", "青少年发展基金会")]),
        ("北京朝阳区蓝天养老服务中心", ("110105",), [("han", "蓝天"), ("han", "养老服务中心")]),
        # 朝阳门 is a place, not the district 朝阳 and 门.
        ("朝阳门 养老", (), [("han", "朝阳门"), ("han", "养老")]),
        ("haidianyoueryuan", ("110108",), [("pinyin", "youeryuan")]),
        ("dongchen xinli", ("110101",), [("pinyin", "xinli")]),
        ("朝阳yanglao", ("110105",), [("pinyin", "yanglao")]),
        ("tuo yu zhong xin", (), [("pinyin", "tuo yu zhong xin")]),
    ],
)
def test_districts_optional_words_and_parts(text, districts, parts):
    understanding = understand(text)
    assert understanding.districts == districts
    assert parts_of(text) == parts


def test_synonyms_are_applied_at_query_time():
    (part,) = understand("残联").parts
    assert "残疾人联合会" in part.alternatives
    (part,) = understand("自闭症").parts
    assert "孤独症" in part.alternatives


def test_pinyin_drops_beijing_and_reads_the_syllables():
    (part,) = understand("beijingqingshaonianfazhanjijinhui").parts
    assert part.alternatives[0] == ("qing", "shao", "nian", "fa", "zhan", "ji", "jin", "hui")


def test_pinyin_typo_is_respelled():
    (part,) = understand("youeryaun").parts
    assert ("you", "er", "yuan") in part.alternatives


@pytest.mark.parametrize(
    ("text", "code"),
    [("58174021-1", "581740211"), ("543249905", "543249905")],
)
def test_an_organisation_code_is_read_as_one(text, code):
    assert plan_query(text).org_code == code


def test_a_labelled_credit_code_is_the_code():
    assert plan_query("统一社会信用代码：52110000550733443M").uscc_exact == "52110000550733443M"
