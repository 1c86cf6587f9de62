"""Staff: accounts, sign-in and the complaint-handling console under /staff."""

from portal.extensions import login


def init_app(app):
    from portal.staff import cli, two_factor, views

    # The second factor (its settings are in portal/config/features.py): an unknown role or a bad key stops the start.
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
