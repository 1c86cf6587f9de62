"""Display windows by law (国家发展改革委令第36号《信用修复管理办法》), with the clock moved past each window.

One B organisation has a plus item and one minus item of each severity, all
effective on 2026-06-01 and counting until 2030. Minor is never shown;
general is shown until 2027-05-31, serious until 2029-05-31; a repaired item
not at all. On every public surface of the report (page, JSON API, print
view, PDF) an item leaves the day after its window, and the sum still closes
through the undisclosed total.
"""

import io
import json
from datetime import date, datetime
from decimal import Decimal

import pypdf
import pytest
import time_machine

from portal.rules.windows import shown_until
from portal.scoring import schema
from portal.sync import service as sync_service
from tests.scoring_builder import BANDS, ScoringBuilder

RULE_SET = "windows-1"
DIMENSIONS = [("integrity", "40", "30"), ("operations", "40", "30"), ("social", "50", "40")]  # code, max, base
ITEMS = [
    ("PLUS", "social", "表彰（测试）", "Commended (test)", "2", None),
    ("MINOR", "integrity", "轻微事项（测试）", "Minor item (test)", "-2", "minor"),
    ("GENERAL", "integrity", "一般事项（测试）", "General item (test)", "-3", "general"),
    ("SERIOUS", "operations", "严重事项（测试）", "Serious item (test)", "-10", "serious"),
    ("REPAIRED", "operations", "已修复事项（测试）", "Repaired item (test)", "-5", "general"),
]
DESCRIPTIONS = {code: f"{code}事项描述（测试）" for code, *_ in ITEMS}
EFFECTIVE = date(2026, 6, 1)
# 100 + 2 - 2 - 3 - 10 = 87 (the repaired item does not count): grade B.
SCORE = "87.00"


class WindowScoring(ScoringBuilder):
    def rule_set(self, version=RULE_SET, bands=BANDS):
        self.execute(
            schema.rule_sets.insert(),
            [{"version": version, "name": "展示期限测试规则", "is_demo": True, "effective_from": date(2026, 1, 1),
              "base_score": Decimal("100"), "description": None, "updated_at": self.clock}],
        )
        self.execute(
            schema.rule_set_grade_bands.insert(),
            [{"rule_set_version": version, "grade": g, "min_score": Decimal(lo), "max_score": Decimal(hi)}
             for g, (lo, hi) in {"A": ("95", "130"), "B": ("80", "94.99"), "C": ("60", "79.99"), "D": ("0", "59.99")}.items()],
        )
        self.execute(
            schema.rule_set_dimensions.insert(),
            [{"rule_set_version": version, "code": code, "name_zh": code, "name_en": code, "position": position,
              "max_points": Decimal(maximum), "base_points": Decimal(base)}
             for position, (code, maximum, base) in enumerate(DIMENSIONS)],
        )
        self.execute(
            schema.rule_set_items.insert(),
            [{"rule_set_version": version, "item_code": code, "dimension_code": dimension, "name_zh": zh,
              "name_en": en, "points": Decimal(points), "validity_months": 48, "legal_basis": None, "severity": severity}
             for code, dimension, zh, en, points, severity in ITEMS],
        )


@pytest.fixture
def windows(app, scoring_url):
    scoring = WindowScoring(scoring_url)
    scoring.rule_set()
    uscc = scoring.organisation(1, grade=None)
    scoring.execute(
        schema.credit_scores.insert(),
        [{"uscc": uscc, "score": Decimal(SCORE), "grade": "B",
          "dimension_scores": json.dumps({"integrity": 25, "operations": 20, "social": 42}),
          "assessed_at": scoring.clock, "rule_set_version": RULE_SET, "updated_at": scoring.clock}],
    )
    for code, dimension, _, _, points, _ in ITEMS:
        scoring.event(
            f"E-{code}", uscc, points=points, item_code=code, dimension_code=dimension,
            description=DESCRIPTIONS[code], effective_on=EFFECTIVE, expires_on=date(2030, 5, 31),
            status="repaired" if code == "REPAIRED" else "active",
        )
    with time_machine.travel(datetime(2026, 11, 3, 3, 0), tick=False), app.app_context():
        result = sync_service.run_sync(trigger="test", update_index=False)
        assert result.status == "succeeded", result.error
    scoring.dispose()
    return uscc


def surfaces(client, uscc, language="zh"):
    """Return {surface: text} of the public report: page, API, print view and PDF."""
    page = client.get(f"/org/{uscc}?lang={language}")
    api = client.get(f"/api/v1/organisations/{uscc}?lang={language}")
    printable = client.get(f"/org/{uscc}/report/print?lang={language}")
    pdf = client.get(f"/org/{uscc}/report.pdf?lang={language}")
    for response in (page, api, printable, pdf):
        assert response.status_code == 200
    pdf_text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.data)).pages)
    return {
        "page": page.get_data(as_text=True),
        "api": api.get_data(as_text=True),
        "print": printable.get_data(as_text=True),
        "pdf": pdf_text.replace(" ", "").replace("\n", ""),
    }, api.get_json()["organisation"]


def test_the_windows_of_the_law():
    assert shown_until(Decimal("-1"), "minor", EFFECTIVE) is None
    assert shown_until(Decimal("-1"), "general", EFFECTIVE) == date(2027, 5, 31)
    assert shown_until(Decimal("-1"), "serious", EFFECTIVE) == date(2029, 5, 31)
    assert shown_until(Decimal("-1"), None, EFFECTIVE) == date(2029, 5, 31)  # unknown: the longest
    assert shown_until(Decimal("2"), None, EFFECTIVE) == date.max
    assert shown_until(Decimal("-1"), "general", date(2024, 2, 29)) == date(2025, 2, 27)


@pytest.mark.parametrize(
    ("moment", "shown", "undisclosed"),
    [
        (datetime(2026, 11, 3, 4, 0), {"PLUS", "GENERAL", "SERIOUS"}, ("-2.00", 1)),
        # 2027-05-31 23:59 in Beijing is 15:59 UTC: the general item's last day.
        (datetime(2027, 5, 31, 15, 59), {"PLUS", "GENERAL", "SERIOUS"}, ("-2.00", 1)),
        (datetime(2027, 5, 31, 16, 1), {"PLUS", "SERIOUS"}, ("-5.00", 2)),
        (datetime(2029, 5, 31, 15, 59), {"PLUS", "SERIOUS"}, ("-5.00", 2)),
        (datetime(2029, 5, 31, 16, 1), {"PLUS"}, ("-15.00", 3)),
    ],
)
def test_each_item_leaves_every_surface_at_the_end_of_its_window(app, windows, moment, shown, undisclosed):
    client = app.test_client()
    with time_machine.travel(moment, tick=False):
        texts, document = surfaces(client, windows)
    for code in ("PLUS", "MINOR", "GENERAL", "SERIOUS", "REPAIRED"):
        for surface, text in texts.items():
            assert (DESCRIPTIONS[code] in text) == (code in shown), (surface, code)
    breakdown = document["credit"]["breakdown"]
    total = Decimal(str(breakdown["total"]))
    assert total == Decimal(str(document["credit"]["score"])) == Decimal(SCORE)
    parts = [Decimal(str(breakdown[key])) for key in ("base", "plus", "minus", "undisclosed")]
    assert parts[0] + parts[1] - parts[2] + parts[3] == total
    assert (Decimal(str(breakdown["undisclosed"])), breakdown["undisclosed_count"]) == (Decimal(undisclosed[0]), undisclosed[1])
    if "GENERAL" in shown:
        assert "2027年5月31日" in texts["page"]  # the window's end, beside the item
