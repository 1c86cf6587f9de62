"""The public credit report /org/<USCC>, with data put in through the real sync."""

import json
import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from urllib.parse import quote

import pytest
from sqlalchemy import event

from portal import charts
from portal.extensions import db
from portal.orgs import display, report
from portal.scoring import schema
from portal.uscc import check_uscc
from tests.scoring_builder import BANDS, ScoringBuilder, make_uscc
from tests.synced_portal import sync_at
from tests.conftest import has_inline_script

#: Production serves these pages from the page cache: every test runs with it off and on.
pytestmark = pytest.mark.cached_and_uncached

RULE_SET = "report-1"
# Names that appear nowhere in the code: the report must take them from the rule set.
DIMENSIONS = [
    ("party_building", "党建维度（测试）", "Party building (test)", "15", "10"),
    ("integrity", "诚信维度（测试）", "Integrity (test)", "30", "25"),
    ("governance", "治理维度（测试）", "Governance (test)", "25", "20"),
    ("operations", "运营维度（测试）", "Operations (test)", "25", "20"),
    ("evaluation", "评估维度（测试）", "Evaluation (test)", "15", "10"),
    ("social", "社会维度（测试）", "Social (test)", "20", "15"),
]
ITEMS = [
    ("IN01", "integrity", "信用承诺履行良好（测试）", "Credit commitment kept (test)", "2"),
    ("OP05", "operations", "未按规定报送年度报告（测试）", "Annual report not filed (test)", "-5"),
    ("SO02", "social", "获得表彰（测试）", "Commended (test)", "3"),
]
DIMENSION_POINTS = {
    "party_building": 12.5, "integrity": 24, "governance": 20, "operations": 18.25, "evaluation": 11, "social": 12
}

# Four nights, synced at 02:30 Beijing time (18:30 UTC the day before).
NIGHTS = [datetime(2026, 11, 2, 18, 30) + timedelta(days=n) for n in range(4)]

DEMO_LABEL = {"zh": "这是演示用的评价规则，不是官方规则。", "en": "This is a demonstration rule set, not the official one."}
PORTAL_NAME = {"zh": "北京市社会组织信用信息公示平台", "en": "Beijing Social Organisation Credit Information Portal"}


def text_of(response):
    return response.get_data(as_text=True)


class ReportScoring(ScoringBuilder):
    """The scoring builder with a rule set whose names are not codes."""

    def rule_set(self, version=RULE_SET, bands=BANDS):
        self.execute(
            schema.rule_sets.insert(),
            [
                {
                    "version": version,
                    "name": "测试信用评价规则（演示）",
                    "is_demo": True,
                    "effective_from": date(2026, 1, 1),
                    "base_score": Decimal("100"),
                    "description": "测试用规则集",
                    "updated_at": self.clock,
                }
            ],
        )
        self.execute(
            schema.rule_set_grade_bands.insert(),
            [
                {"rule_set_version": version, "grade": grade, "min_score": Decimal(low), "max_score": Decimal(high)}
                for grade, (low, high) in bands.items()
            ],
        )
        self.execute(
            schema.rule_set_dimensions.insert(),
            [
                {
                    "rule_set_version": version,
                    "code": code,
                    "name_zh": name_zh,
                    "name_en": name_en,
                    "position": position,
                    "max_points": Decimal(maximum),
                    "base_points": Decimal(base),
                }
                for position, (code, name_zh, name_en, maximum, base) in enumerate(DIMENSIONS)
            ],
        )
        self.execute(
            schema.rule_set_items.insert(),
            [
                {
                    "rule_set_version": version,
                    "item_code": code,
                    "dimension_code": dimension,
                    "name_zh": name_zh,
                    "name_en": name_en,
                    "points": Decimal(points),
                    "validity_months": 12,
                    "legal_basis": "《测试办法》第一条",
                }
                for code, dimension, name_zh, name_en, points in ITEMS
            ],
        )

    def set_score(self, uscc, grade, score, dimension_points=None, insert=False):
        values = {
            "score": Decimal(score),
            "grade": grade,
            "dimension_scores": json.dumps(dimension_points or DIMENSION_POINTS),
            "assessed_at": self.clock,
            "rule_set_version": RULE_SET,
            "updated_at": self.clock,
        }
        if insert:
            self.execute(schema.credit_scores.insert(), [{"uscc": uscc, **values}])
        else:
            self.execute(schema.credit_scores.update().where(schema.credit_scores.c.uscc == uscc).values(**values))


@pytest.fixture
def scoring_builder_class():
    """``scoring`` writes the report's rule set."""
    return ReportScoring


FOUNDATION = make_uscc(7, type_prefix="53", district="110105")
OTHER = make_uscc(8)
HIDDEN_C = make_uscc(20)
CANCELLED = make_uscc(21)
NEVER_SYNCED = make_uscc(22)
UNKNOWN = make_uscc(999)


@pytest.fixture
def history(app, scoring, monkeypatch):
    """A foundation that enters as A, drops to B, leaves as C and comes back as B; and some others."""
    scoring.organisation(
        7,
        uscc=FOUNDATION,
        name="北京市朝阳区青少年发展基金会",
        grade=None,
        former_names=["北京市朝阳区少年发展基金会"],
        org_type="foundation",
        registration_authority="北京市朝阳区民政局",
        district_code="110105",
        legal_representative="李测试",
        registered_on=date(2012, 3, 15),
        address="北京市朝阳区测试路8号",
        business_scope="资助青少年发展项目",
        supervising_unit="北京市朝阳区教育委员会",
        evaluation_level=4,
        evaluation_valid_from=date(2020, 1, 1),
        evaluation_valid_until=date(2024, 12, 31),
    )
    scoring.set_score(FOUNDATION, "A", "97.50", insert=True)
    scoring.organisation(8, uscc=OTHER, name="北京市测试评估协会", grade=None, evaluation_valid_until=date(2099, 1, 1))
    scoring.set_score(OTHER, "B", "88.00", insert=True)
    scoring.organisation(20, uscc=HIDDEN_C, name="北京市丙级隐藏协会", grade=None)
    scoring.set_score(HIDDEN_C, "C", "70.00", insert=True)
    scoring.organisation(21, uscc=CANCELLED, name="北京市已注销促进会", grade=None, status="cancelled")
    scoring.set_score(CANCELLED, "A", "97.50", insert=True)
    scoring.event("E-PLUS", FOUNDATION, points="2", item_code="IN01", dimension_code="integrity",
                  description="按时履行信用承诺", reporting_department="北京市朝阳区民政局", legal_basis="《测试办法》第一条")
    scoring.event("E-OBJECTION", FOUNDATION, points="-5", status="objection", item_code="OP05",
                  dimension_code="operations",
                  description="未按时报送2025年度工作报告", reporting_department="北京市朝阳区民政局", expires_on=None)
    scoring.event("E-SECRET", FOUNDATION, points="-3", item_code="OP05", dimension_code="operations",
                  description="不予公开的扣分事项", is_public=False)
    scoring.event("E-EXPIRED", FOUNDATION, points="3", status="expired", item_code="SO02", dimension_code="social",
                  description="2023年获市级表彰", effective_on=date(2023, 5, 1), expires_on=date(2024, 5, 1))
    scoring.list_entry("L-REMOVED", FOUNDATION, listed_on=date(2024, 3, 1), removed_on=date(2024, 9, 1),
                       removal_reason="已补报年度工作报告")
    scoring.list_entry("L-LISTED", FOUNDATION, list_type="serious_violation", reason="测试列入原因",
                       listed_on=date(2025, 2, 1))
    sync_at(app, monkeypatch, NIGHTS[0])

    scoring.tick(days=1)
    scoring.set_score(FOUNDATION, "B", "88.00")
    sync_at(app, monkeypatch, NIGHTS[1])

    scoring.tick(days=1)
    scoring.set_score(FOUNDATION, "C", "71.23")
    sync_at(app, monkeypatch, NIGHTS[2])

    scoring.tick(days=1)
    scoring.set_score(FOUNDATION, "B", "85.00")
    sync_at(app, monkeypatch, NIGHTS[3])

    # Registered in the source after the last sync: the portal has never seen it.
    scoring.tick(hours=1)
    scoring.organisation(22, uscc=NEVER_SYNCED, name="北京市未同步协会", grade=None)
    scoring.set_score(NEVER_SYNCED, "A", "97.50", insert=True)
    return app


def report_of(client, uscc, language):
    response = client.get(f"/org/{uscc}", query_string={"lang": language})
    assert response.status_code == 200
    return text_of(response)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_report_shows_registration_facts(client, history, language):
    body = report_of(client, FOUNDATION, language)
    for fact in ["北京市朝阳区青少年发展基金会", "北京市朝阳区少年发展基金会", FOUNDATION, "北京市朝阳区民政局", "李测试",
                 "北京市朝阳区测试路8号", "资助青少年发展项目", "北京市朝阳区教育委员会"]:
        assert fact in body, fact
    expected = {
        "zh": ["基金会", "朝阳区", "2012年3月15日", "曾用名", "法定代表人", "业务主管单位", "信用积分：85.00 分"],
        "en": ["Foundation", "Chaoyang", "Mar 15, 2012", "Former names", "Legal representative", "Supervising unit",
               "Credit score: 85.00 points", "Beijing Shi Chaoyang Qu Qingshaonian Fazhan Jijinhui"],
    }[language]
    for text in expected:
        assert text in body, text
    assert 'class="grade grade--b">B</span>' in body
    assert f'<link rel="canonical" href="http://localhost/org/{FOUNDATION}?lang={language}">' in body
    assert f'href="/complaints/new?uscc={FOUNDATION}&amp;lang={language}"' in body
    assert ("数据截至" if language == "zh" else "Data as of") in body


@pytest.mark.parametrize("language", ["zh", "en"])
def test_dimension_chart_and_table_use_the_rule_sets_names(client, history, language):
    body = report_of(client, FOUNDATION, language)
    names = [row[1] if language == "zh" else row[2] for row in DIMENSIONS]
    chart = body[body.index('<svg class="chart chart--bars"'):]
    chart = chart[: chart.index("</svg>")]
    assert 'role="img"' in chart and 'aria-labelledby="dimension-chart-title dimension-chart-desc"' in chart
    assert '<title id="dimension-chart-title">' in chart
    assert chart.count('class="chart__bar"') == 6
    table = body[body.index('id="dimensions-caption"'):]
    table = table[: table.index("</table>")]
    for name in names:
        assert name in chart and name in table
    # 12.5 of 15 and 18.25 of 25: points and maxima from the rule set.
    assert "<td class=\"number\">12.5</td>" in table and "<td class=\"number\">15</td>" in table
    assert "18.25" in chart and "18.25" in table
    # The bar is as long as the share of the maximum: 12.5 / 15 of the 470-unit track.
    assert f'width="{round(12.5 / 15 * 470, 1)}"' in chart
    assert "测试信用评价规则（演示）" in body
    assert DEMO_LABEL[language] in body


@pytest.mark.parametrize("language", ["zh", "en"])
def test_history_chart_and_table_show_only_published_scores(client, history, language):
    body = report_of(client, FOUNDATION, language)
    chart = body[body.index('<svg class="chart chart--line"'):]
    chart = chart[: chart.index("</svg>")]
    assert 'role="img"' in chart and '<title id="history-chart-title">' in chart
    # Two published stretches: A 97.50 -> B 88.00, then B 85.00 after a time out of the list.
    assert chart.count("<polyline") == 1
    assert chart.count('class="chart__marker"') == 2  # 97.50 and 85.00
    assert chart.count("chart__marker--change") == 1  # A -> B
    assert "A→B" in chart
    table = body[body.index('id="history-caption"'):]
    table = table[: table.index("</table>")]
    for score in ("97.50", "88.00", "85.00"):
        assert score in table
    if language == "zh":
        assert "信用等级由 A 变为 B" in table and "已不在公示名单中" in table and "重新列入公示名单" in table
        assert "2026年11月3日" in table and "2026年11月6日" in table
    else:
        assert "Grade changed from A to B" in table and "No longer in the public list" in table
        assert "Back in the public list" in table
        assert "Nov 3, 2026" in table and "Nov 6, 2026" in table
    # The score and grade of its time out of the list are never shown.
    assert "71.23" not in body
    assert "grade--c" not in body and "→C" not in body


@pytest.mark.parametrize("language", ["zh", "en"])
def test_ledger_shows_public_items_only(client, history, language):
    body = report_of(client, FOUNDATION, language)
    assert "按时履行信用承诺" in body
    assert "未按时报送2025年度工作报告" in body
    assert "2023年获市级表彰" in body
    assert "不予公开的扣分事项" not in body and "E-SECRET" not in body
    current = body[body.index('id="current-items-caption"'):]
    current = current[: current.index("</table>")]
    earlier = body[body.index('id="earlier-items-caption"'):]
    earlier = earlier[: earlier.index("</table>")]
    assert "按时履行信用承诺" in current and "未按时报送2025年度工作报告" in current
    assert "2023年获市级表彰" in earlier
    assert "+2" in current and "\u22125" in current and "+3" in earlier
    assert "《测试办法》第一条" in current
    if language == "zh":
        assert "异议处理中" in current and "有效" in current and "已过期" in earlier
        assert "信用承诺履行良好（测试）" in current and "诚信维度（测试）" in current
        assert "长期有效" in current  # the objection has no expiry
        assert "2027年6月1日" in current
    else:
        assert "Under objection" in current and "Active" in current and "Expired" in earlier
        assert "Credit commitment kept (test)" in current and "Integrity (test)" in current
        assert "No expiry" in current and "Jun 1, 2027" in current


@pytest.mark.parametrize("language", ["zh", "en"])
def test_evaluation_validity_and_list_entries(client, history, language):
    body = report_of(client, FOUNDATION, language)
    other = report_of(client, OTHER, language)
    if language == "zh":
        assert "该评估等级已过期：有效期至" in body and "4A" in body
        assert "该评估等级有效期至" in other and "已过期" not in other.split('id="evaluation"')[1].split("</section>")[0]
        assert "活动异常名录" in body and "严重违法失信名单" in body
        assert "已移出" in body and "列入中" in body and "2024年9月1日" in body
    else:
        assert "This evaluation level has expired: it was valid until" in body
        assert "This evaluation level is valid until" in other
        assert "List of organisations with abnormal activities" in body
        assert "List of seriously illegal and dishonest organisations" in body
        assert "Removed" in body and "Listed" in body and "Sep 1, 2024" in body
    assert "已补报年度工作报告" in body and "测试列入原因" in body
    assert ("未被列入活动异常名录或严重违法失信名单" if language == "zh" else "has never been in the list") in other


def not_found_body(client, code, language):
    response = client.get(f"/org/{code}", query_string={"lang": language})
    assert response.status_code == 404
    return text_of(response).replace(code, "<CODE>")


@pytest.mark.parametrize("language", ["zh", "en"])
def test_unpublished_organisations_are_indistinguishable_from_unknown_codes(client, history, language):
    bodies = {code: not_found_body(client, code, language) for code in (HIDDEN_C, CANCELLED, NEVER_SYNCED, UNKNOWN)}
    assert len(set(bodies.values())) == 1
    body = bodies[UNKNOWN]
    assert ("不在公示名单中" if language == "zh" else "Not in the public list") in body
    assert '<meta name="robots" content="noindex">' in body
    for secret in ("北京市丙级隐藏协会", "北京市已注销促进会", "北京市未同步协会", "grade--", "70.00", "97.50"):
        assert secret not in body
    # The organisation that left the list and came back is published again.
    assert client.get(f"/org/{FOUNDATION}").status_code == 200


@pytest.mark.parametrize(
    "code, problem_zh, problem_en",
    [
        ("5111000050000000", "有 16 个字符", "has 16 characters"),
        ("51110000500000001234", "有 20 个字符", "has 20 characters"),
        ("5111000050000000IO", "第 17, 18 位", "at positions 17, 18"),
        ("A1110000500000001X", "第 1 位", "at position 1"),
        (make_uscc(5)[:17] + ("0" if make_uscc(5)[17] != "0" else "1"), "校验码", "check character"),
    ],
)
def test_invalid_codes_are_a_400_that_explains_the_format(client, history, code, problem_zh, problem_en):
    titles = {"zh": "统一社会信用代码无效", "en": "This is not a valid unified social credit code"}
    for language, problem in [("zh", problem_zh), ("en", problem_en)]:
        title = titles[language]
        response = client.get(f"/org/{code}", query_string={"lang": language})
        assert response.status_code == 400
        body = text_of(response)
        assert f"<h1>{title}</h1>" in body
        assert problem in body
        assert ("18 位字符" if language == "zh" else "has 18 characters") in body
        assert ("GB 32100-2015") in body
        assert PORTAL_NAME[language] in body


def test_invalid_code_is_escaped_and_shortened(client, history):
    response = client.get("/org/" + quote("<b>x<") + "9" * 60)
    assert response.status_code == 400
    body = text_of(response)
    assert "<B>X" not in body and "&lt;B&gt;X" in body
    message = body[body.index('<p class="error-message">'):]
    message = message[: message.index("</p>")]
    assert "…" in message and "9" * 60 not in message


@pytest.mark.parametrize(
    "typed",
    [
        FOUNDATION.lower(),
        " ".join([FOUNDATION[:8], FOUNDATION[8:]]),
        f"{FOUNDATION[:2]}-{FOUNDATION[2:8]}-{FOUNDATION[8:]}",
        "".join(chr(ord(c) + 0xFEE0) for c in FOUNDATION),  # full-width, as typed with a Chinese IME
    ],
)
def test_codes_are_normalised_with_a_permanent_redirect(client, history, typed):
    response = client.get("/org/" + quote(typed), query_string={"lang": "en"})
    assert response.status_code == 301
    assert response.headers["Location"] == f"/org/{FOUNDATION}?lang=en"
    # An unpublished code redirects the same way, then gives the same 404.
    hidden = client.get(f"/org/{HIDDEN_C.lower()}")
    unknown = client.get(f"/org/{UNKNOWN.lower()}")
    assert (hidden.status_code, unknown.status_code) == (301, 301)


def test_report_takes_a_handful_of_queries(app, client, history):
    statements = []
    with app.app_context():
        engine = db.engine

    def count(conn, cursor, statement, *args):
        if not statement.startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(f"/org/{FOUNDATION}?lang=en").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    # One more than before the nightly history: the nights of the successful syncs; and one for the change record.
    assert len(statements) <= 10, statements


def test_report_has_no_inline_code_and_prints_key_links(client, history):
    body = report_of(client, FOUNDATION, "zh")
    assert not has_inline_script(body) and "<style" not in body and " style=" not in body
    assert f'data-print-url="http://localhost/complaints/new?uscc={FOUNDATION}"' in body
    assert 'data-print-url="http://localhost/methodology?lang=zh"' in body
    assert 'class="print-only"' in body
    css = text_of(client.get("/static/css/portal.css"))
    print_rules = css[css.index("@media print"):]
    assert "a[data-print-url]::after" in print_rules
    assert ".site-nav" in print_rules and ".search-form" in print_rules


# -- the pure parts: history, charts, code checks -----------------------------------


class Snapshot:
    def __init__(self, day, score, grade, published):
        self.effective_at = datetime(2026, 1, day, 18, 30)
        self.score = Decimal(score) if score else None
        self.grade = grade
        self.is_published = published


def test_score_history_starts_at_publication_and_collapses_time_out_of_the_list():
    snapshots = [
        Snapshot(1, "70", "C", False),  # before its first publication: never shown
        Snapshot(2, "85", "B", True),
        Snapshot(3, "96", "A", True),
        Snapshot(4, "70", "C", False),
        Snapshot(5, "50", "D", False),
        Snapshot(6, "97", "A", True),
    ]
    points = report.score_history(snapshots, "Asia/Shanghai")
    assert [(p.score, p.grade, p.previous_grade, p.reentered) for p in points] == [
        (Decimal("85"), "B", None, False),
        (Decimal("96"), "A", "B", False),
        (None, None, None, False),
        (Decimal("97"), "A", None, True),
    ]
    assert points[0].day == date(2026, 1, 3)  # 18:30 UTC is 02:30 the next day in Beijing
    chart = charts.score_line(points)
    assert len(chart.segments) == 2 and len(chart.points) == 3
    assert chart.x_ticks[0].anchor == "start" and chart.x_ticks[-1].anchor == "end"


def test_single_score_is_centred():
    points = report.score_history([Snapshot(2, "85", "B", True)], "Asia/Shanghai")
    chart = charts.score_line(points)
    assert chart.points[0].x == (chart.left + chart.right) / 2
    assert charts.score_line([]) is None


@pytest.mark.parametrize(
    "text, code, problem",
    [
        (make_uscc(3), make_uscc(3), None),
        (make_uscc(3).lower(), make_uscc(3), None),
        ("123", "123", "length"),
        ("", "", "length"),
        ("51110000500000003I", "51110000500000003I", "characters"),
        (make_uscc(3)[:17] + ("0" if make_uscc(3)[17] != "0" else "1"), None, "check_character"),
    ],
)
def test_check_uscc(text, code, problem):
    check = check_uscc(text)
    assert check.problem == problem
    if code is not None:
        assert check.code == code


def test_characters_problem_lists_the_positions():
    assert check_uscc("5111000050000000IO").bad_positions == (17, 18)
    assert re.fullmatch(r"[0-9A-Z]{18}", make_uscc(1))


@pytest.mark.parametrize(
    "name, pinyin",
    [
        ("北京市青少年发展基金会", "Beijing Shi Qingshaonian Fazhan Jijinhui"),
        ("北京市朝阳区青少年发展基金会", "Beijing Shi Chaoyang Qu Qingshaonian Fazhan Jijinhui"),  # 朝 read chao here
        ("北京东城社区服务中心", "Beijing Dongcheng Shequ Fuwu Zhongxin"),
        ("北京市IT行业协会", "Beijing Shi IT Hangye Xiehui"),
        ("北京市某某协会（筹）", "Beijing Shi Moumou Xiehui (Chou)"),
        ("西安商会", "Xi'an Shanghui"),
    ],
)
def test_pinyin_names(name, pinyin):
    assert display.pinyin_name(name) == pinyin
