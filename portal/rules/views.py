"""The methodology page: how credit scores and grades are worked out."""

from flask import Blueprint, render_template

from portal.pagecache import cached_page
from portal.grades import PUBLISHED_GRADES
from portal.rules import service
from portal.rules.labels import PROBLEM_LABELS, SEVERITY_LABELS
from portal.rules.windows import DISPLAY_WINDOWS, LAW_IN_FORCE_FROM, LAW_NAME_EN, LAW_NAME_ZH

bp = Blueprint("rules", __name__)



@bp.get("/methodology")
@cached_page
def methodology():
    return render_template(
        "rules/methodology.html",
        rule_sets=service.rule_sets_for_display(),
        published_grades=PUBLISHED_GRADES,
        display_windows=list(DISPLAY_WINDOWS.values()),
        law={"name_zh": LAW_NAME_ZH, "name_en": LAW_NAME_EN, "in_force_from": LAW_IN_FORCE_FROM},
        problem_labels=PROBLEM_LABELS,
        severity_labels=SEVERITY_LABELS,
    )
