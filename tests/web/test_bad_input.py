"""Bad input to the public pages beyond the complaint forms: a clear 4xx in the visitor's language, never a 500.

The table covers the report check (/verify), the statistics tables
(/stats/<name>.csv), the sitemaps (/sitemaps/<name>.xml), the language switch
(/lang/<code>), the search (/search, /search.csv) and the list and changes
parameters, with NUL bytes, invalid UTF-8 percent-encoding, repeated
parameters and very long values. Each case is asked in Chinese (the default)
and in English (the language cookie that /lang/en sets), and must say its
message in that language, on a page whose <html lang> says so. The complaint
forms have their own table (tests/complaints/test_bad_input.py), the staff
console too (tests/staff/test_bad_input.py), and the API (tests/api/test_bad_input.py).
"""

import html
import re
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.publication.models import Organisation

HTML_LANG = {"zh": 'lang="zh-CN"', "en": 'lang="en"'}
REPORT_NUMBER = "R-20261129-7K3QZ9W2MX4TBH6C"


@dataclass
class Case:
    id: str
    path: str
    status: int
    en: str
    zh: str


NOT_A_REPORT_NUMBER = ("is not a report number. A report number looks like R-20261129-7K3QZ9W2MX4TBH6C",
                       "不是报告编号。报告编号的格式如 R-20261129-7K3QZ9W2MX4TBH6C")
PAGE_NUMBER = ("The page number must be a whole number from 1 upwards.", "页码必须是从 1 开始的整数。")
NO_SITEMAP = ("There is no sitemap of that name.", "没有这个名称的站点地图。")
NO_PAGE = ("There is no page at this address.", "此网址没有对应的页面")


def grade_case(case_id, path, value):
    return Case(case_id, path, 400, f"so the grade can only be A or B (not “{value}”).",
                f"因此信用等级只能选择A或B（不能是“{value}”）。")


CASES = [
    # /verify: the number and the hash, in the form's query or in the path.
    Case("verify-short-number", "/verify?number=R-123", 400, "“R-123” " + NOT_A_REPORT_NUMBER[0],
         "“R-123”" + NOT_A_REPORT_NUMBER[1]),
    Case("verify-bad-hash", f"/verify?number={REPORT_NUMBER}&sha256=xyz", 400,
         "“xyz” is not a SHA-256 hash. The hash printed on the report has 64 characters",
         "“xyz”不是 SHA-256 哈希值。报告上印的哈希值共 64 个字符"),
    Case("verify-hash-without-number", "/verify?sha256=abc", 400, "Type the report number printed on the report.",
         "请输入报告上印的报告编号。"),
    Case("verify-path-not-a-number", "/verify/not-a-number", 400, "“not-a-number” " + NOT_A_REPORT_NUMBER[0],
         "“not-a-number”" + NOT_A_REPORT_NUMBER[1]),
    Case("verify-unknown-number", f"/verify/{REPORT_NUMBER}", 404,
         f"No report with the number {REPORT_NUMBER} was issued by this portal.",
         f"本平台没有出具过编号为 {REPORT_NUMBER} 的报告。"),
    Case("verify-nul", "/verify?number=%00", 400, *NOT_A_REPORT_NUMBER),
    Case("verify-invalid-utf8", "/verify?number=%FF%FE", 400, *NOT_A_REPORT_NUMBER),
    Case("verify-invalid-utf8-in-path", "/verify/%FF", 400, *NOT_A_REPORT_NUMBER),
    Case("verify-very-long", "/verify?number=" + "R" * 5000, 400, *NOT_A_REPORT_NUMBER),
    Case("verify-repeated-number", "/verify?number=a&number=b", 400, "“a” " + NOT_A_REPORT_NUMBER[0],
         "“a”" + NOT_A_REPORT_NUMBER[1]),
    # /stats/<name>.csv
    Case("stats-unknown-table", "/stats/nope.csv", 404,
         "There is no statistics table “nope”. The tables are: grades, types, districts",
         "没有名为“nope”的统计表。现有的统计表为：grades, types, districts"),
    Case("stats-long-name", "/stats/" + "x" * 500 + ".csv", 404, f"There is no statistics table “{'x' * 40}”.",
         f"没有名为“{'x' * 40}”的统计表。"),
    Case("stats-nul", "/stats/%00.csv", 404, "There is no statistics table", "的统计表。现有的统计表为"),
    Case("stats-invalid-utf8", "/stats/%FF.csv", 404, "There is no statistics table", "的统计表。现有的统计表为"),
    # /sitemaps/<name>.xml
    Case("sitemap-unknown", "/sitemaps/nope.xml", 404, *NO_SITEMAP),
    Case("sitemap-beyond-the-last", "/sitemaps/orgs-999.xml", 404, *NO_SITEMAP),
    Case("sitemap-zero", "/sitemaps/orgs-0.xml", 404, *NO_SITEMAP),
    Case("sitemap-leading-zero", "/sitemaps/orgs-01.xml", 404, *NO_SITEMAP),
    Case("sitemap-nul", "/sitemaps/%00.xml", 404, *NO_SITEMAP),
    Case("sitemap-invalid-utf8", "/sitemaps/%FF.xml", 404, *NO_SITEMAP),
    # /lang/<code>
    Case("language-unknown", "/lang/fr", 404, *NO_PAGE),
    Case("language-nul", "/lang/%00", 404, *NO_PAGE),
    Case("language-invalid-utf8", "/lang/%FF", 404, *NO_PAGE),
    Case("language-very-long", "/lang/" + "x" * 3000, 404, *NO_PAGE),
    # The search's parameters (and the same on its CSV download).
    grade_case("search-grade-c", "/search?grade=C", "C"),
    grade_case("search-grades-repeated", "/search?grade=A&grade=Z", "Z"),
    Case("search-sort", "/search?sort=bogus", 400, "“bogus” is not a way to sort search results.",
         "“bogus”不是有效的搜索结果排序方式"),
    Case("search-sort-invalid-utf8", "/search?sort=%FF", 400, "is not a way to sort search results.",
         "不是有效的搜索结果排序方式"),
    Case("search-type", "/search?type=bogus", 400, "“bogus” is not an organisation type.", "“bogus”不是有效的组织类型"),
    Case("search-district", "/search?district=999", 400, "“999” is not a district code of Beijing.",
         "“999”不是北京市的区划代码"),
    Case("search-evaluation", "/search?evaluation=9A", 400, "“9A” is not an evaluation level.", "“9A”不是有效的评估等级"),
    Case("search-page-zero", "/search?page=0", 400, *PAGE_NUMBER),
    Case("search-page-text", "/search?page=abc", 400, *PAGE_NUMBER),
    Case("search-page-nul", "/search?page=%00", 400, *PAGE_NUMBER),
    Case("search-page-huge", "/search?page=" + "9" * 400, 400, *PAGE_NUMBER),
    Case("search-page-too-deep", "/search?page=99999", 400, "Only the first 10000 results can be shown.",
         "最多只能显示前 10000 条结果"),
    grade_case("search-download-grade", "/search.csv?grade=Z", "Z"),
    Case("search-download-sort", "/search.csv?q=北京&sort=bogus", 400, "“bogus” is not a way to sort search results.",
         "“bogus”不是有效的搜索结果排序方式"),
    # The list, the changes, a report.
    Case("list-sort", "/orgs?sort=x", 400, "“x” is not a way to sort the list.", "“x”不是有效的排序方式"),
    grade_case("list-grade", "/orgs?grade=C", "C"),
    Case("list-page", "/orgs?page=-1", 400, *PAGE_NUMBER),
    Case("changes-type", "/changes?type=x", 400, "“x” is not a kind of change. Choose entries, exits or grade changes.",
         "“x”不是有效的变动类型，请选择列入、移出或等级变动。"),
    Case("changes-date", "/changes?from=2026-02-30", 400, "“2026-02-30” is not a valid date for “from”.",
         "“2026-02-30”不是有效的“from”日期。"),
    Case("changes-dates-reversed", "/changes?from=2026-11-30&to=2026-11-01", 400,
         "The start date (“from”) must not be later than the end date (“to”).", "开始日期（“from”）不能晚于结束日期（“to”）。"),
    Case("report-bad-code", "/org/bad", 400, "“BAD” has 3 characters, but a unified social credit code has 18.",
         "“BAD”有 3 个字符，而统一社会信用代码应为 18 位。"),
    Case("report-invalid-utf8", "/org/%FF", 400, "has 1 character, but a unified social credit code has 18.",
         "有 1 个字符，而统一社会信用代码应为 18 位。"),
    Case("report-as-of", "/org/{published}?as_of=yesterday", 400, "“yesterday” is not a valid date for “as_of”.",
         "“yesterday”不是有效的“as_of”日期。"),
    Case("download-unknown", "/data/nope.csv", 404, "There is no download of that name.", "没有这个名称的下载文件。"),
]

#: Odd but harmless: answered with the page (200), in the visitor's language, the oddity cleaned or ignored.
ACCEPTED = {
    "search-nul": "/search?q=%00",
    "search-nul-in-words": "/search?q=北京%00协会",
    "search-invalid-utf8": "/search?q=%FF%FE",
    "search-very-long": "/search?q=" + "北" * 100_000,
    "search-array-syntax": "/search?q[]=x&grade[]=C",
    "search-repeated-words": "/search?q=北京&q=协会",
    "search-unknown-parameter": "/search?per_page=1000&facets=all",
    "search-download-nul": "/search.csv?q=%00",
    "list-unknown-parameter": "/orgs?q[]=x",
}


@pytest.fixture(scope="module")
def portal(shared_demo_portal):
    with shared_demo_portal.app_context():
        shared_demo_portal.published_uscc = db.session.scalar(
            select(Organisation.uscc).where(Organisation.is_published).order_by(Organisation.uscc).limit(1)
        )
    return shared_demo_portal


def client_in(app, language):
    """A client in ``language``: Chinese by default, English with the cookie /lang/en sets."""
    client = app.test_client()
    if language == "en":
        assert client.get("/lang/en").status_code == 303
    return client


def visible_text(body):
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_gets_a_clear_message(portal, case, language):
    response = client_in(portal, language).get(case.path.format(published=portal.published_uscc))
    body = response.get_data(as_text=True)
    assert response.status_code == case.status, body[:3000]
    assert response.mimetype == "text/html"
    assert HTML_LANG[language] in body
    assert getattr(case, language) in re.sub(r"\s+", " ", visible_text(body))
    assert "Traceback" not in body
    # What was typed comes back cut short in the message (the page's own address aside), and never as a NUL.
    main = re.search(r"<main.*</main>", body, re.S).group(0)
    main = visible_text(re.sub(r'<p class="print-only">.*?</p>', "", main, flags=re.S))
    assert "R" * 100 not in main and "x" * 100 not in main and "\x00" not in body


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("path", list(ACCEPTED.values()), ids=list(ACCEPTED))
def test_odd_but_harmless_input_is_answered(portal, path, language):
    response = client_in(portal, language).get(path)
    body = response.get_data(as_text=True)
    assert response.status_code == 200, body[:3000]
    if response.mimetype == "text/html":
        assert HTML_LANG[language] in body
        assert "\x00" not in body and "北" * 2000 not in body
    else:
        assert response.mimetype == "text/csv"
