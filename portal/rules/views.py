"""The methodology page: how credit scores and grades are worked out."""

from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l

from portal.pagecache import cached_page
from portal.grades import PUBLISHED_GRADES
from portal.rules import service
from portal.rules.windows import DISPLAY_WINDOWS, LAW_IN_FORCE_FROM, LAW_NAME_EN, LAW_NAME_ZH

bp = Blueprint("rules", __name__)

#: How a rule set can contradict itself (portal.rules.arithmetic.rule_set_problems).
PROBLEM_LABELS = {
    "missing_base": _l("Some dimensions do not state their base points, so scores cannot be explained as sums."),
    "base_outside_dimension": _l("A dimension's base points lie outside 0 and its maximum."),
    "base_not_sum_of_dimensions": _l("The base score is not the sum of the dimensions' base points."),
    "band_overlap": _l("Two grade bands overlap."),
    "band_gap": _l("There is a gap between two grade bands: some scores have no grade."),
    "range_not_covered": _l("The grade bands do not cover every score the dimensions can make."),
    "band_beyond_reachable": _l("A grade band reaches scores that no organisation can have."),
}
SEVERITY_LABELS = {"minor": _l("Minor (轻微)"), "general": _l("General (一般)"), "serious": _l("Serious (严重)")}


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
