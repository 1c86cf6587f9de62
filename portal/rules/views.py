"""The methodology page: how credit scores and grades are worked out."""

from flask import Blueprint, render_template

from portal.pagecache import cached_page
from portal.grades import PUBLISHED_GRADES
from portal.rules import service

bp = Blueprint("rules", __name__)


@bp.get("/methodology")
@cached_page
def methodology():
    return render_template(
        "rules/methodology.html", rule_sets=service.rule_sets_for_display(), published_grades=PUBLISHED_GRADES
    )
