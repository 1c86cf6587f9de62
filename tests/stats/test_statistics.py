"""Statistics of the public list: /stats, its CSV tables and published_statistics(), counted by hand.

Data goes in through the real sync, from a scoring database written by the test builder.
"""

import csv
import io
import json
import re
from datetime import datetime, timedelta

import pytest

from portal.stats import charts, service
from tests.synced_portal import ScoringOrganisation, sync_at, sync_three_nights, uscc_lookup
from tests.conftest import has_inline_script

# (number, name, type, district, grade, score, evaluation level)
ORGS = [
    ScoringOrganisation(1, "北京市统计阿尔法协会", "social_group", "110000", "A", "97.50", 5),
    ScoringOrganisation(2, "北京市统计贝塔基金会", "foundation", "110105", "B", "88.00", None),
    ScoringOrganisation(3, "北京市朝阳区统计服务中心", "social_service", "110105", "B", "81.00", 3),
    ScoringOrganisation(4, "北京市海淀区统计科技协会", "social_group", "110108", "A", "120.00", 4),
    ScoringOrganisation(5, "北京市东城区统计促进会", "social_group", "110101", "B", "94.99", None),
]
# Never published: graded C or D, or cancelled. Each would change a count if it were counted.
HIDDEN = [
    ScoringOrganisation(6, "北京市统计丙级协会", "social_group", "110000", "C", "70.00", None, "normal"),
    ScoringOrganisation(7, "北京市统计丁级协会", "social_group", "110119", "D", "40.00", 2, "normal"),
    ScoringOrganisation(8, "北京市统计注销协会", "social_group", "110116", "A", "99.00", 1, "cancelled"),
]
# 02:30 Beijing time on 30 November, 1 December and 2 December 2026: the second night is
# still 30 November in UTC, but belongs to December in Beijing.
NIGHTS = [datetime(2026, 11, 29, 18, 30) + timedelta(days=n) for n in range(3)]
uscc_of = uscc_lookup(ORGS + HIDDEN)


def text_of(response):
    return response.get_data(as_text=True)


@pytest.fixture
def portal(app, scoring, monkeypatch):
    """Night 1: five enter. Night 2: no. 2 drops to C and leaves, no. 3 rises to A. Night 3: no. 2 returns, no. 5 is cancelled."""
    for organisation in ORGS + HIDDEN:
        organisation.write(scoring)
    return sync_three_nights(app, scoring, monkeypatch, NIGHTS, ORGS + HIDDEN)


def counts(rows):
    return {row["code"]: row["count"] for row in rows}


# Counted by hand: published now are 1 (A 97.50), 2 (B 88.00), 3 (A 96.00) and 4 (A 120.00).
EXPECTED = {
    "total": 4,
    "by_grade": {"A": 3, "B": 1},
    "by_type": {"social_group": 2, "social_service": 1, "foundation": 1},
    "by_evaluation": {"5A": 1, "4A": 1, "3A": 1, "2A": 0, "1A": 0, "none": 1},
    "scores": [(85, 1), (90, 0), (95, 2), (100, 0), (105, 0), (110, 0), (115, 0), (120, 1)],
    "months": [
        {"month": "2026-11", "entries": 5, "exits": 0, "grade_changes": 0},
        {"month": "2026-12", "entries": 1, "exits": 2, "grade_changes": 1},
    ],
}


def test_statistics_match_a_hand_count(app, portal):
    with app.app_context():
        statistics = service.published_statistics()
    assert statistics["total"] == EXPECTED["total"]
    assert counts(statistics["by_grade"]) == EXPECTED["by_grade"]
    assert counts(statistics["by_type"]) == EXPECTED["by_type"]
    districts = counts(statistics["by_district"])
    assert len(districts) == 17 and sum(districts.values()) == 4
    assert {code: n for code, n in districts.items() if n} == {"110000": 1, "110105": 2, "110108": 1}
    assert districts["110119"] == districts["110116"] == districts["110101"] == 0
    assert counts(statistics["by_evaluation"]) == EXPECTED["by_evaluation"]
    distribution = statistics["score_distribution"]
    assert distribution["bin_width"] == 5
    assert [(row["min"], row["count"]) for row in distribution["bins"]] == EXPECTED["scores"]
    assert all(row["max"] == row["min"] + 5 for row in distribution["bins"])
    assert statistics["changes_by_month"] == EXPECTED["months"]
    assert statistics["publication_version"] == 3
    assert statistics["data_as_of"] == "2026-12-01T18:30:00Z"
    assert statistics["first_sync_at"] == "2026-11-29T18:30:00Z"
    # Plain data: it goes into the JSON API as it is.
    assert json.loads(json.dumps(statistics)) == statistics
    labels = {row["code"]: row for row in statistics["by_type"]}
    assert labels["foundation"]["label_zh"] == "基金会" and labels["foundation"]["label_en"] == "Foundation"
    district = {row["code"]: row for row in statistics["by_district"]}["110105"]
    assert (district["label_zh"], district["label_en"]) == ("朝阳区", "Chaoyang")


def test_statistics_are_cached_per_publication_and_follow_a_new_sync(app, portal, scoring, monkeypatch):
    with app.app_context():
        first = service.published_statistics()
        first["total"] = 999  # a caller's change does not reach the cache
        assert service.published_statistics()["total"] == 4
    scoring.tick(days=1)
    scoring.score(uscc_of(6), "B", "85.00")  # enters the list
    sync_at(app, monkeypatch, NIGHTS[2] + timedelta(days=1))
    with app.app_context():
        after = service.published_statistics()
    assert after["total"] == 5 and after["publication_version"] == 4
    assert counts(after["by_grade"]) == {"A": 3, "B": 2}


def test_an_empty_portal_has_empty_statistics(app, client):
    with app.app_context():
        statistics = service.published_statistics()
    assert statistics["total"] == 0 and statistics["publication_version"] == 0 and statistics["data_as_of"] is None
    assert statistics["score_distribution"]["bins"] == [] and statistics["changes_by_month"] == []
    for language in ("zh", "en"):
        response = client.get("/stats", query_string={"lang": language})
        assert response.status_code == 200
        assert {"zh": "尚无变动", "en": "has not changed yet"}[language] in text_of(response)


PAGE = {
    "zh": ["公示名单统计", "按信用等级统计的公示社会组织", "按评估等级统计的公示社会组织", "每月公示名单变动", "朝阳区", "社会服务机构"],
    "en": ["Statistics of the public list", "Published organisations by credit grade", "Changes to the public list by month",
           "Chaoyang", "Social service organisation", "Published organisations by credit score"],
}


@pytest.mark.parametrize("language", ["zh", "en"])
def test_statistics_page_has_charts_tables_and_downloads(client, portal, language):
    response = client.get("/stats", query_string={"lang": language})
    assert response.status_code == 200
    body = text_of(response)
    for text in PAGE[language]:
        assert text in body, text
    assert f'<html lang="{ {"zh": "zh-CN", "en": "en"}[language] }">' in body
    assert not has_inline_script(body) and "<style" not in body and " style=" not in body
    # Six charts, each an image with a title and a description, and a captioned table with scoped headers.
    assert body.count('role="img" aria-labelledby=') == 6
    assert body.count("<caption id=") == 6
    assert body.count('<th scope="col"') >= 6 * 2 and '<th scope="row">' in body
    for name in ("grades", "types", "districts", "evaluation-levels", "scores", "changes-by-month"):
        assert f'href="/stats/{name}.csv?lang={language}"' in body
    # The hand count, in the tables.
    grade_table = body[body.index('id="grades-caption"'):body.index('id="types-caption"')]
    assert re.search(r'<span class="grade grade--a">A</span>|>A</th>', grade_table) or ">A<" in grade_table
    assert '<td class="number">3</td>' in grade_table and '<td class="number">1</td>' in grade_table
    assert "75.0" in grade_table and "25.0" in grade_table
    months = body[body.index('id="changes-caption"'):]
    assert re.search(r"2026-12</time></th>\s*<td class=\"number\">1</td>\s*<td class=\"number\">2</td>\s*<td class=\"number\">1</td>", months)
    # Nothing of an organisation outside the list: no names, no grade C or D.
    for row in HIDDEN + [ORGS[4]]:
        assert row[1] not in body
    assert ">C<" not in body and ">D<" not in body
    assert "data-as-of" in body


@pytest.mark.parametrize("language", ["zh", "en"])
def test_csv_downloads_are_utf8_with_bom(client, portal, language):
    expected_headers = {
        "zh": ["代码", "名称", "公示社会组织", "占比（%）"],
        "en": ["Code", "Name", "Published organisations", "Share (%)"],
    }
    response = client.get("/stats/types.csv", query_string={"lang": language})
    assert response.status_code == 200
    assert response.content_type == "text/csv; charset=utf-8"
    assert response.data.startswith("\ufeff".encode("utf-8"))
    # Named by the Beijing date of its data (18:30 UTC on 1 December is 02:30 on the 2nd in Beijing).
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="beijing-social-org-credit-stats-types-2026-12-02.csv"'
    )
    assert response.headers["X-Data-As-Of"] == "2026-12-01T18:30:00Z"
    assert response.headers["X-Publication-Version"] == "3"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    header = rows[0]
    assert header[:4] == expected_headers[language]
    assert len(header) == 6
    body = {row[0]: row for row in rows[1:]}
    assert body["social_group"][2] == "2" and body["foundation"][2] == "1" and body["social_service"][2] == "1"
    assert body["social_group"][1] == {"zh": "社会团体", "en": "Social group"}[language]
    assert all(row[4] == "2026-12-01T18:30:00Z" and row[5] == "3" for row in rows[1:])
    # A 304 for a client that has it.
    again = client.get("/stats/types.csv", query_string={"lang": language}, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize(
    "name, expected",
    [
        ("grades", [["A", "3"], ["B", "1"]]),
        ("evaluation-levels", [["5A", "1"], ["4A", "1"], ["3A", "1"], ["2A", "0"], ["1A", "0"], ["none", "1"]]),
        ("scores", [[str(low), str(low + 5), str(count)] for low, count in EXPECTED["scores"]]),
        ("changes-by-month", [["2026-11", "5", "0", "0"], ["2026-12", "1", "2", "1"]]),
    ],
)
def test_every_csv_table_matches_the_hand_count(client, portal, name, expected):
    response = client.get(f"/stats/{name}.csv?lang=en")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))[1:]
    width = len(expected[0])
    if name in ("grades", "evaluation-levels"):
        assert [[row[0], row[2]] for row in rows] == expected
    else:
        assert [row[:width] for row in rows] == expected
    districts = list(csv.reader(io.StringIO(client.get("/stats/districts.csv?lang=en").data.decode("utf-8-sig"))))
    assert len(districts) == 18


@pytest.mark.parametrize("language", ["zh", "en"])
def test_unknown_csv_table_is_a_404_with_a_message(client, portal, language):
    response = client.get("/stats/secret.csv", query_string={"lang": language})
    assert response.status_code == 404
    assert "grades, types, districts" in text_of(response)


def test_column_chart_geometry():
    chart = charts.column_chart([("a", [3]), ("b", [0]), ("c", [7])])
    assert chart.y_ticks[0].value == 0 and chart.y_ticks[-1].value >= 7
    first, empty, last = chart.groups
    assert empty.columns[0].height == 0
    assert last.columns[0].height > first.columns[0].height > 0
    assert first.columns[0].y + first.columns[0].height == chart.bottom
    assert charts.column_chart([]) is None
    many = charts.column_chart([(str(n), [n, n]) for n in range(60)], series=2)
    assert 0 < sum(group.show_label for group in many.groups) < 60
    assert all(len(group.columns) == 2 for group in many.groups)


def test_score_bins_have_no_gaps():
    from decimal import Decimal

    assert service.score_bins({Decimal("80.00"): 2, Decimal("94.99"): 1, None: 5}) == [
        {"min": 80, "max": 85, "count": 2},
        {"min": 85, "max": 90, "count": 0},
        {"min": 90, "max": 95, "count": 1},
    ]
    assert service.score_bins({}) == []
