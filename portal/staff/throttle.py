"""Sign-in delays: failed sign-ins slow down one account name from one client address, never lock an account.

A hard lock after N failures let anyone lock any colleague out by typing
wrong passwords, and told which usernames exist (only real ones locked).
Instead, failures are counted per (account name as typed, client address):
after STAFF_SIGN_IN_FREE_ATTEMPTS of them, each further failure refuses that
pair's attempts for STAFF_SIGN_IN_DELAY_SECONDS, doubling with every
failure, up to STAFF_SIGN_IN_MAX_DELAY_SECONDS. An attacker at one address
slows down only themselves; the real user at another address signs in as
usual. Unknown names are counted the same way, so a delay says nothing about
whether an account exists. A completed sign-in clears the pair's count; a
pair quiet for STAFF_SIGN_IN_FORGET_HOURS is forgotten.

Wrong second-factor codes (typed only after the right password) count for
the address, and also for the account from every address (EVERY_ADDRESS),
so that a password thief cannot guess codes from many addresses.

Counts live in the portal database: every worker and node sees the same.
Attempts refused during a delay are not checked, counted or extended: what
happens to them can tell nothing about the password typed.
"""

from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.staff.models import SignInThrottle

#: The address of the counts of an account's wrong codes from anywhere.
EVERY_ADDRESS = "*"
#: Longest stored account name and address (a form allows 64 characters; IPv6 needs 45).
KEY_MAX_LENGTH = 64


def account_key(username):
    """Return the name an attempt counts for: the username as typed, trimmed and in lower case."""
    return (username or "").strip().lower()[:KEY_MAX_LENGTH]


def _address_key(address):
    return (address or "unknown")[:KEY_MAX_LENGTH]


def delay_after(failures, config=None):
    """Return the delay (a timedelta) earned by ``failures`` failures in a row, or None below the free attempts."""
    config = config or current_app.config
    beyond = failures - config["STAFF_SIGN_IN_FREE_ATTEMPTS"]
    if beyond < 0:
        return None
    # Doubling, capped: 2**beyond grows without bound, so cap the exponent first.
    longest = config["STAFF_SIGN_IN_MAX_DELAY_SECONDS"]
    seconds = config["STAFF_SIGN_IN_DELAY_SECONDS"] * 2 ** min(beyond, 32)
    return timedelta(seconds=min(seconds, longest))


def _row(account, address):
    return db.session.scalar(
        select(SignInThrottle).where(SignInThrottle.account == account, SignInThrottle.address == address)
    )


def failures(username, address):
    """Return how many failures are counted now for ``username`` from ``address`` (or EVERY_ADDRESS)."""
    row = _row(account_key(username), _address_key(address))
    return row.failures if row is not None else 0


def delayed_until(username, address, now, every_address=False):
    """Return until when attempts for ``username`` from ``address`` are refused, or None if they are not.

    With ``every_address``, the account's delay from every address counts too (the code step).
    """
    account = account_key(username)
    addresses = [_address_key(address)] + ([EVERY_ADDRESS] if every_address else [])
    until = db.session.scalar(
        select(func.max(SignInThrottle.blocked_until)).where(
            SignInThrottle.account == account,
            SignInThrottle.address.in_(addresses),
            SignInThrottle.blocked_until > now,
        )
    )
    return until


def _count(account, address, now, counted):
    """Add one attempt to the pair's row (a failure if ``counted``), creating it if needed; return the row."""
    values = {"last_attempt_at": now}
    if counted:
        values["failures"] = SignInThrottle.failures + 1
    where = (SignInThrottle.account == account, SignInThrottle.address == address)
    for _attempt in range(3):
        # One UPDATE: concurrent failures in several workers all count.
        changed = db.session.execute(update(SignInThrottle).where(*where).values(**values)).rowcount
        if changed:
            break
        db.session.add(
            SignInThrottle(account=account, address=address, failures=1 if counted else 0, last_attempt_at=now)
        )
        try:
            db.session.commit()
            break
        except IntegrityError:
            # Another worker created the row first: count in it.
            db.session.rollback()
    db.session.commit()
    return _row(account, address)


def record_failure(username, address, now, every_address=False):
    """Count a failed attempt for ``username`` from ``address``, and start its delay once it has earned one.

    With ``every_address`` (a wrong code), it counts for the account from every address too.
    """
    account = account_key(username)
    addresses = [_address_key(address)] + ([EVERY_ADDRESS] if every_address else [])
    for key in addresses:
        row = _count(account, key, now, counted=True)
        delay = delay_after(row.failures)
        if delay is not None:
            row.blocked_until = now + delay
    db.session.commit()
    forget_stale(now)


def record_refused(username, address, now):
    """Note an attempt refused during a delay: the same writes as a failure, but nothing is counted or extended."""
    _count(account_key(username), _address_key(address), now, counted=False)
    forget_stale(now)


def clear(username, address=None):
    """Forget the failures of ``username``: from ``address`` and from every address (a completed sign-in), or all."""
    conditions = [SignInThrottle.account == account_key(username)]
    if address is not None:
        conditions.append(SignInThrottle.address.in_([_address_key(address), EVERY_ADDRESS]))
    cleared = db.session.execute(delete(SignInThrottle).where(*conditions)).rowcount
    db.session.commit()
    return cleared


def forget_stale(now):
    """Forget the counts of pairs with no attempt for STAFF_SIGN_IN_FORGET_HOURS (whose delay is over)."""
    cutoff = now - timedelta(hours=current_app.config["STAFF_SIGN_IN_FORGET_HOURS"])
    db.session.execute(
        delete(SignInThrottle).where(
            SignInThrottle.last_attempt_at < cutoff,
            (SignInThrottle.blocked_until.is_(None)) | (SignInThrottle.blocked_until < now),
        )
    )
    db.session.commit()


def current_delays(now):
    """Return {account name: the latest end of its current delays} of the accounts delayed now (any address)."""
    rows = db.session.execute(
        select(SignInThrottle.account, func.max(SignInThrottle.blocked_until))
        .where(SignInThrottle.blocked_until > now)
        .group_by(SignInThrottle.account)
    ).all()
    return dict(rows)
