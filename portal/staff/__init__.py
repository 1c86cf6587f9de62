"""Staff: accounts, sign-in and the complaint-handling console under /staff."""

import os

from portal.extensions import login


def init_app(app):
    from portal.staff import cli, site_error_views, two_factor, views  # noqa: F401 (site_error_views: routes)

    # Password policy: at least this many characters (and two kinds of characters, not the username).
    app.config.setdefault("STAFF_PASSWORD_MIN_LENGTH", 12)
    # Per client IP on POST /staff/login (Flask-Limiter syntax), on top of the sign-in delays
    # per account name and address (STAFF_SIGN_IN_* in portal/config.py).
    app.config.setdefault("STAFF_LOGIN_RATE_LIMIT", os.environ.get("STAFF_LOGIN_RATE_LIMIT", "10 per minute;100 per day"))
    # A staff session ends after this many idle minutes, and in any case after this many hours.
    app.config.setdefault("STAFF_SESSION_IDLE_MINUTES", int(os.environ.get("STAFF_SESSION_IDLE_MINUTES", "30")))
    app.config.setdefault("STAFF_SESSION_MAX_HOURS", int(os.environ.get("STAFF_SESSION_MAX_HOURS", "12")))
    # Complaints per page of the queue.
    app.config.setdefault("STAFF_QUEUE_PAGE_SIZE", 25)
    # Days to conclude a complaint once accepted (shared with portal.complaints, which may set it first).
    app.config.setdefault("COMPLAINT_CONCLUDE_DAYS", int(os.environ.get("COMPLAINT_CONCLUDE_DAYS", "30")))
    # Where evidence files are stored (portal.complaints owns the setting; same default).
    app.config.setdefault("EVIDENCE_DIR", os.environ.get("EVIDENCE_DIR", os.path.join(app.instance_path, "evidence")))

    # The second factor (its settings are in portal/config.py): an unknown role or a bad key stops the start.
    try:
        app.config["STAFF_TOTP_REQUIRED_ROLES"] = two_factor.required_roles(app.config["STAFF_TOTP_REQUIRED_ROLES"])
    except ValueError as error:
        raise RuntimeError(str(error)) from error
    two_factor.check_key(app.config)

    login.init_app(app)
    login.login_view = "staff.login"
    # A session whose browser fingerprint (address and user agent) changes is dropped.
    login.session_protection = "strong"
    login.user_loader(views.load_user)
    login.unauthorized_handler(views.unauthorized)
    app.register_blueprint(views.bp)
    app.cli.add_command(cli.staff_cli)
