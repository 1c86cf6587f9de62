"""Atom feeds: the changes to the public list, and one organisation's score and grade."""

from flask import current_app, make_response, redirect, request, url_for
from flask_babel import format_datetime, format_number, get_locale
from flask_babel import gettext as _

from portal.clock import day_start_utc, local_today
from portal.i18n import HTML_LANG
from portal.opendata import feeds
from portal.opendata.views.blueprint import ATOM_TYPE, bp, local_timezone
from portal.origin import public_url
from portal.pagecache import cached_page
from portal.publication.changes import EXIT_REASON_LABELS, first_publication
from portal.uscc import check_uscc
from portal.web import abort_with_message, current_publication


def _author():
    return _("Beijing Social Organisation Credit Information Portal")


def _change_title(change):
    if change.change_type == feeds.CHANGE_ENTRY:
        return _("%(name)s entered the public list, rated %(grade)s", name=change.name, grade=change.new_grade)
    if change.change_type == feeds.CHANGE_GRADE:
        return _(
            "%(name)s: grade changed from %(old)s to %(new)s",
            name=change.name,
            old=change.old_grade,
            new=change.new_grade,
        )
    return _("%(name)s left the public list", name=change.name)


def _exit_summary(name, reason):
    return _(
        "%(name)s left the public list. Reason: %(reason)s.",
        name=name,
        reason=EXIT_REASON_LABELS.get(reason, EXIT_REASON_LABELS["removed_from_source"]),
    )


def _atom_response(body):
    response = make_response(body)
    response.mimetype = ATOM_TYPE
    response.charset = "utf-8"
    return response


def _feed_response(feed_id, title, self_url, alternate_url, publication, entries):
    """Return the Atom feed of ``entries``, with the portal as author and the publication's time."""
    body = feeds.build_feed(
        feed_id=feed_id,
        title=title + " | " + _author(),
        subtitle=_subtitle(publication),
        updated=_feed_updated(publication, entries),
        self_url=self_url,
        alternate_url=alternate_url,
        author=_author(),
        author_url=public_url("orgs.home"),
        language=HTML_LANG.get(get_locale().language, "zh-CN"),
        data_as_of=publication.data_as_of if publication else None,
        entries=entries,
    )
    return _atom_response(body)


def _feed_updated(publication, entries):
    moments = [entry.updated for entry in entries]
    if publication is not None and publication.data_as_of is not None:
        moments.append(publication.data_as_of)
    return max(moments) if moments else day_start_utc(local_today(local_timezone()), local_timezone())


@bp.get("/feeds/changes.atom", endpoint="changes_feed")
@cached_page
def changes_feed():
    change_type = request.args.get("type") or None
    if change_type is not None and change_type not in feeds.CHANGE_TYPES:
        abort_with_message(
            400, _("“%(value)s” is not a kind of change. Choose entries, exits or grade changes.", value=change_type[:40])
        )
    publication = current_publication()
    limit = current_app.config["FEED_ENTRIES"]
    entries = []
    for change in feeds.recent_list_changes(change_type, limit):
        summary = _exit_summary(change.name, change.exit_reason) if change.change_type == feeds.CHANGE_EXIT else _change_title(change)
        entries.append(
            feeds.FeedEntry(
                id=feeds.stable_id("list-change", change.id, change.uscc, change.change_type),
                title=_change_title(change),
                updated=change.changed_at,
                link=(
                    public_url("orgs.report", uscc=change.uscc)
                    if change.currently_published
                    else public_url("orgs.changes", type=change.change_type)
                ),
                summary=summary,
                category=change.change_type,
            )
        )
    first = first_publication()
    if first is not None and change_type in (None, feeds.CHANGE_ENTRY):
        title = _("First publication: %(count)s organisations", count=format_number(first.count))
        entries.append(
            feeds.FeedEntry(
                id=feeds.stable_id("first-publication", first.run_id),
                title=title,
                updated=first.changed_at,
                link=public_url("orgs.changes", type=feeds.CHANGE_ENTRY),
                summary=title,
                category="first_publication",
            )
        )
        entries.sort(key=lambda entry: entry.updated, reverse=True)
        entries = entries[:limit]
    titles = {
        None: _("Changes to the public list"),
        feeds.CHANGE_ENTRY: _("Entries to the public list"),
        feeds.CHANGE_EXIT: _("Exits from the public list"),
        feeds.CHANGE_GRADE: _("Grade changes in the public list"),
    }
    return _feed_response(
        feeds.stable_id("feed", "changes", change_type or "all"),
        titles[change_type],
        public_url("opendata.changes_feed", type=change_type),
        public_url("orgs.changes", type=change_type),
        publication,
        entries,
    )


def _subtitle(publication):
    if publication is None or publication.data_as_of is None:
        return _("No data has been published yet.")
    return _("Data as of %(time)s (Beijing time).", time=format_datetime(publication.data_as_of, "medium"))


@bp.get("/org/<uscc>/feed.atom", endpoint="org_feed")
@cached_page
def org_feed(uscc):
    check = check_uscc(uscc)
    if check.problem is not None:
        abort_with_message(400, _("“%(code)s” is not a valid unified social credit code.", code=check.code[:40]))
    if check.code != uscc:
        return redirect(url_for("opendata.org_feed", uscc=check.code, **request.args.to_dict(flat=False)), 301)
    organisation = feeds.published_organisation(check.code)
    if organisation is None:
        # The same answer for every organisation the public may not see, and for unknown codes.
        abort_with_message(404, _("No published organisation has this code."))
    publication = current_publication()
    timezone = local_timezone()
    entries = []
    history = feeds.organisation_history(check.code, timezone, current_app.config["FEED_ENTRIES"])
    exit_reasons = feeds.exit_reasons_of(check.code)
    for point in history:
        if not point.published:
            title = _("%(name)s left the public list", name=organisation.name)
            summary = _exit_summary(organisation.name, exit_reasons.get(point.effective_at))
            category = feeds.CHANGE_EXIT
        else:
            score = f"{point.score:.2f}"
            summary = _("Score %(score)s, grade %(grade)s.", score=score, grade=point.grade)
            if point.grade_changed:
                title = _(
                    "%(name)s: grade changed from %(old)s to %(new)s",
                    name=organisation.name,
                    old=point.previous_grade,
                    new=point.grade,
                )
                category = feeds.CHANGE_GRADE
            elif point.reentered or (point is history[-1] and len(history) < current_app.config["FEED_ENTRIES"]):
                # A return to the list, or the oldest point of the whole history: the first entry.
                title = _("%(name)s entered the public list, rated %(grade)s", name=organisation.name, grade=point.grade)
                category = feeds.CHANGE_ENTRY
            else:
                title = _("%(name)s: score %(score)s, grade %(grade)s", name=organisation.name, score=score, grade=point.grade)
                category = "score"
            if point.reentered:
                summary = _("Entered the public list again.") + " " + summary
        entries.append(
            feeds.FeedEntry(
                id=feeds.stable_id("org", check.code, feeds.atom_time(point.effective_at)),
                title=title,
                updated=point.effective_at,
                link=public_url("orgs.report", uscc=check.code),
                summary=summary,
                category=category,
            )
        )
    return _feed_response(
        feeds.stable_id("feed", "org", check.code),
        _("%(name)s: credit score and grade", name=organisation.name),
        public_url("opendata.org_feed", uscc=check.code),
        public_url("orgs.report", uscc=check.code),
        publication,
        entries,
    )
