"""The follow e-mail, made when it is sent: a confirmation link, or a digest with its one-click unsubscribe.

Each message has a plain-text and an HTML part, in the language the
subscriber chose (Chinese unless English). Every link is built from
PUBLIC_BASE_URL. A digest carries the RFC 8058 headers (when that address is
https), so that mail programs offer a one-click unsubscribe that POSTs to the
portal.
"""

import json
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import ngettext

from portal import mail
from portal.clock import local_date, utcnow
from portal.extensions import db
from portal.follow import service, tokens
from portal.follow.models import KIND_CONFIRM, FollowMessage, Subscriber, Subscription
from portal.origin import public_path_url
from portal.publication.changes import EXIT_REASON_LABELS
from portal.publication.models import CHANGE_ENTRY, CHANGE_EXIT


def _link(path, language):
    """Return the absolute public URL of ``path``, in ``language``."""
    url = public_path_url(path)
    return url if language == current_app.config["BABEL_DEFAULT_LOCALE"] else f"{url}?lang={language}"


def _render(template, **context):
    # The mail is made in the scheduler, outside any request: the templates get only what is passed.
    environment = current_app.jinja_env
    text = environment.get_template(f"follow/mail/{template}.txt").render(**context)
    html = environment.get_template(f"follow/mail/{template}.html").render(**context)
    return text, html


def _envelope(row, subscriber, subject, text, html):
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = subscriber.email
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = mail.message_id(f"follow-{row.kind}", row.id)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def _confirmation(row, subscriber):
    subscription = db.session.get(Subscription, row.subscription_id)
    if subscription is None or subscription.confirmed_at is not None:
        return None
    name = service.published_name(subscription.uscc)
    if name is None:
        # It left the list before the e-mail went out: following it is no longer offered.
        return None
    token, subscription.token_hash = tokens.confirmation_token(subscription.id)
    language = subscription.language
    with force_locale(language):
        context = {
            "name": name,
            "uscc": subscription.uscc,
            "confirm_url": _link(f"/follow/confirm/{token}", language),
            "report_url": _link(f"/org/{subscription.uscc}", language),
            "days": current_app.config["FOLLOW_CONFIRM_DAYS"],
            "site_name": _("Beijing Social Organisation Credit Information Portal"),
            "language": language,
        }
        subject = _("Confirm that you want to follow %(name)s", name=name)
        text, html = _render("confirm", **context)
    return _envelope(row, subscriber, subject, text, html)


def change_sentence(change):
    """Return one change of a digest as a sentence in the current language."""
    day = local_date(datetime.fromisoformat(change["changed_at"]), current_app.config["BABEL_DEFAULT_TIMEZONE"])
    if change["change_type"] == CHANGE_ENTRY:
        return _("%(date)s: entered the public list with grade %(grade)s.", date=day.isoformat(), grade=change["new_grade"])
    if change["change_type"] == CHANGE_EXIT:
        reason = EXIT_REASON_LABELS.get(change["exit_reason"], EXIT_REASON_LABELS["removed_from_source"])
        return _("%(date)s: left the public list (%(reason)s).", date=day.isoformat(), reason=reason)
    return _(
        "%(date)s: grade changed from %(old)s to %(new)s.",
        date=day.isoformat(), old=change["old_grade"], new=change["new_grade"],
    )


def _digest(row, subscriber):
    changes = json.loads(row.payload)
    language = subscriber.language
    unsubscribe_url = _link(f"/follow/unsubscribe/{tokens.unsubscribe_token(subscriber)}", language)
    published = service.published_codes({change["uscc"] for change in changes})
    organisations = {}
    with force_locale(language):
        for change in changes:
            organisation = organisations.setdefault(
                change["uscc"],
                {
                    "uscc": change["uscc"],
                    "name": change["name"],
                    "report_url": _link(f"/org/{change['uscc']}", language) if change["uscc"] in published else None,
                    "sentences": [],
                },
            )
            organisation["name"] = change["name"]  # the latest name on the list
            organisation["sentences"].append(change_sentence(change))
        context = {
            "organisations": list(organisations.values()),
            "changes_url": _link("/changes", language),
            "unsubscribe_url": unsubscribe_url,
            "site_name": _("Beijing Social Organisation Credit Information Portal"),
            "language": language,
        }
        subject = ngettext(
            "%(num)s change to the organisations you follow",
            "%(num)s changes to the organisations you follow",
            len(changes),
        )
        text, html = _render("digest", **context)
    message = _envelope(row, subscriber, subject, text, html)
    # RFC 2369 and RFC 8058: a mail program may unsubscribe with one POST to this address, no page.
    message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    if unsubscribe_url.startswith("https://"):
        # RFC 8058 allows the one click only to an HTTPS address (a development site on http has the link alone).
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return message


def build_message(row):
    """Return the EmailMessage of an outbox row, or None if there is nothing to send any more."""
    subscriber = db.session.get(Subscriber, row.subscriber_id)
    if row.kind == KIND_CONFIRM:
        return _confirmation(row, subscriber)
    return _digest(row, subscriber)


def send_pending(now=None):
    """Handle the sign-ups waiting, then send the follow e-mail that is due; return (sent, failed).

    The scheduler's job, every MAIL_SEND_INTERVAL_SECONDS. Sign-ups are
    handled even without MAIL_SERVER: their messages wait in the outbox.
    """
    now = now or utcnow()
    service.handle_requests(now)
    return mail.deliver_due(FollowMessage, build_message, now=now, label="Follow e-mail")
