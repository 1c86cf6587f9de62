"""Statistics of the public list: counts of published organisations, list changes by month, scores.

Only published organisations are counted in the breakdowns and the score
distribution. The changes by month count every entry, exit and grade change
the list has had (they name no organisation). The result is plain data,
computed once per publication state in each process.
"""

import copy
import threading
from collections import defaultdict
from decimal import Decimal

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import func, select

from portal.extensions import db
from portal.clock import local_date
from portal.grades import PUBLISHED_GRADES
from portal.publication.models import CHANGE_ENTRY, CHANGE_EXIT, CHANGE_GRADE, ListChange, Organisation
from portal.publication.state import PUBLISHED
from portal.publication.state import read_publication
from portal.reference import DISTRICT_NAMES_ZH, DISTRICTS, ORG_TYPE_NAMES_ZH, ORG_TYPES
from portal.sync.models import RUN_SUCCEEDED, SyncRun


#: Width in points of each bar of the score distribution.
SCORE_BIN_WIDTH = 5
#: Evaluation levels (评估等级) as the list filters them; "none" is not evaluated.
EVALUATION_LEVELS = ("5A", "4A", "3A", "2A", "1A", "none")
EVALUATION_NONE = "none"

_CHANGE_FIELDS = {CHANGE_ENTRY: "entries", CHANGE_EXIT: "exits", CHANGE_GRADE: "grade_changes"}


def _published_counts(column):
    """Return {value: count} of published organisations grouped by ``column``."""
    return dict(db.session.execute(select(column, func.count()).where(PUBLISHED).group_by(column)).all())


def _english(label):
    # Labels are lazy strings with English message ids; this gives the English text in any request.
    with force_locale("en"):
        return str(label)


def _breakdown(counts, codes, names_zh, names_en):
    """Return [{code, label_zh, label_en, count}]: every known code (zero included), then any other code."""
    rows = [
        {"code": code, "label_zh": names_zh[code], "label_en": names_en[code], "count": counts.get(code, 0)}
        for code in codes
    ]
    rows.extend(
        {"code": code, "label_zh": code, "label_en": code, "count": count}
        for code, count in sorted(counts.items(), key=lambda item: str(item[0]))
        if code not in names_zh
    )
    return rows


def _by_evaluation_level():
    counts = {
        (EVALUATION_NONE if level is None else f"{level}A"): count
        for level, count in _published_counts(Organisation.evaluation_level).items()
    }
    names_zh = {level: level for level in EVALUATION_LEVELS}
    names_zh[EVALUATION_NONE] = "未评估"
    names_en = {level: level for level in EVALUATION_LEVELS}
    names_en[EVALUATION_NONE] = "Not evaluated"
    return _breakdown(counts, EVALUATION_LEVELS, names_zh, names_en)


def score_bins(score_counts, width=SCORE_BIN_WIDTH):
    """Return [{min, max, count}] of ``width``-point bins from {score: count}, without gaps.

    A bin holds the scores from ``min`` (inclusive) to ``max`` (exclusive);
    an organisation without a score is not counted.
    """
    bins = defaultdict(int)
    for score, count in score_counts.items():
        if score is None:
            continue
        bins[int(Decimal(score) // width) * width] += count
    if not bins:
        return []
    return [
        {"min": low, "max": low + width, "count": bins.get(low, 0)}
        for low in range(min(bins), max(bins) + width, width)
    ]


def changes_by_month(timezone_name):
    """Return [{month, entries, exits, grade_changes}] of every change to the list, oldest month first."""
    # A sync records all its changes with one time, so there are a few groups per night at most.
    groups = db.session.execute(
        select(ListChange.changed_at, ListChange.change_type, func.count()).group_by(
            ListChange.changed_at, ListChange.change_type
        )
    ).all()
    months = defaultdict(lambda: dict.fromkeys(_CHANGE_FIELDS.values(), 0))
    for changed_at, change_type, count in groups:
        if change_type in _CHANGE_FIELDS:
            months[local_date(changed_at, timezone_name).strftime("%Y-%m")][_CHANGE_FIELDS[change_type]] += count
    return [{"month": month, **months[month]} for month in sorted(months)]


def _first_sync_at():
    return db.session.scalar(select(func.min(SyncRun.finished_at)).where(SyncRun.status == RUN_SUCCEEDED))


def _iso(moment):
    return moment.replace(microsecond=0).isoformat() + "Z" if moment is not None else None


def compute_statistics(publication, timezone_name):
    """Count the statistics of the public list now (no cache); see ``published_statistics``."""
    by_grade = _published_counts(Organisation.grade)
    grades = {grade: grade for grade in PUBLISHED_GRADES}
    return {
        "data_as_of": _iso(publication.data_as_of),
        "publication_version": publication.version,
        "first_sync_at": _iso(_first_sync_at()),
        "total": sum(by_grade.values()),
        "by_grade": _breakdown(by_grade, PUBLISHED_GRADES, grades, grades),
        "by_type": _breakdown(
            _published_counts(Organisation.org_type),
            tuple(ORG_TYPES),
            ORG_TYPE_NAMES_ZH,
            {code: _english(label) for code, label in ORG_TYPES.items()},
        ),
        "by_district": _breakdown(
            _published_counts(Organisation.district_code),
            tuple(DISTRICTS),
            DISTRICT_NAMES_ZH,
            {code: _english(label) for code, label in DISTRICTS.items()},
        ),
        "by_evaluation": _by_evaluation_level(),
        "score_distribution": {
            "bin_width": SCORE_BIN_WIDTH,
            "bins": score_bins(_published_counts(Organisation.score)),
        },
        "changes_by_month": changes_by_month(timezone_name),
        "timezone": timezone_name,
    }


class _StatisticsCache:
    """The statistics of one publication state, in this process."""

    def __init__(self):
        self.lock = threading.Lock()
        self.state = None
        self.statistics = None


def published_statistics():
    """Return the statistics of the public list as a plain, JSON-serialisable dict.

    Keys: ``data_as_of`` (ISO UTC or None), ``publication_version``,
    ``first_sync_at``, ``total``; ``by_grade``, ``by_type``, ``by_district``
    and ``by_evaluation`` as lists of {code, label_zh, label_en, count} (only
    published organisations; every known code, zeros included);
    ``score_distribution`` {bin_width, bins: [{min, max, count}]} (min
    inclusive, max exclusive); ``changes_by_month`` [{month "YYYY-MM",
    entries, exits, grade_changes}] in Beijing months; ``timezone``.

    Computed once per publication state (version and data-as-of time) in each
    process; each caller gets its own copy.
    """
    publication = read_publication()
    state = (publication.version, publication.data_as_of)
    cache = current_app.extensions.setdefault("portal.stats", _StatisticsCache())
    with cache.lock:
        if cache.state == state and cache.statistics is not None:
            return copy.deepcopy(cache.statistics)
    statistics = compute_statistics(publication, current_app.config["BABEL_DEFAULT_TIMEZONE"])
    with cache.lock:
        cache.state, cache.statistics = state, statistics
    return copy.deepcopy(statistics)
