"""Helpers of the follow tests (this module has no tests of its own; the fixtures are in conftest.py)."""

import re
from datetime import datetime

from sqlalchemy import func, select

from portal.extensions import db
from portal.follow.models import FollowMessage, FollowRequest, Subscriber, Subscription

#: Sync nights (naive UTC: 02:30 in Beijing).
NIGHTS = [datetime(2026, 11, 2, 18, 30), datetime(2026, 11, 3, 18, 30), datetime(2026, 11, 4, 18, 30)]
PUBLIC_BASE_URL = "https://credit.example.gov.cn"
NAMES = {
    "a": "北京市关注测试一协会",
    "b": "北京市关注测试二基金会",
    "c_grade": "北京市关注测试三中心",
    "cancelled": "北京市关注测试四协会",
    "leaving": "北京市关注测试五协会",
}
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_LINK = re.compile(r"https://credit\.example\.gov\.cn(/follow/(?:confirm|unsubscribe)/[A-Za-z0-9_.\-]+)(\?lang=\w+)?")


def csrf_token(page):
    """Return the CSRF token of the form on ``page``."""
    return _CSRF.search(page).group(1)


def sign_up(client, uscc, email, language="zh", lang=None, **request_options):
    """Send the follow form of ``uscc`` as the report page does, then the checked form with its token; return the answer."""
    query = f"?lang={lang}" if lang else ""
    form = {"email": email, "language": language}
    check = client.post(f"/org/{uscc}/follow{query}", data=form, **request_options)
    assert check.status_code == 200, check.get_data(as_text=True)
    token = csrf_token(check.get_data(as_text=True))
    return client.post(f"/org/{uscc}/follow{query}", data={**form, "csrf_token": token}, **request_options)


def link_path(text, kind):
    """Return the path (and ?lang=) of the first ``kind`` link ("confirm" or "unsubscribe") in ``text``."""
    for match in _LINK.finditer(text):
        if f"/follow/{kind}/" in match.group(1):
            return match.group(1) + (match.group(2) or "")
    raise AssertionError(f"no {kind} link in {text!r}")


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def stored_rows():
    """Return how many rows each follow table holds."""
    return {model.__tablename__: count(model) for model in (FollowRequest, Subscriber, Subscription, FollowMessage)}
