"""Following an organisation by e-mail: double opt-in from the report page, a daily digest, one-click unsubscribe."""

from flask import Blueprint

bp = Blueprint("follow", __name__)


def init_app(app):
    from portal.follow import cli, views  # noqa: F401  (views registers the routes on bp)

    app.register_blueprint(bp)
    app.cli.add_command(cli.follow_cli)
