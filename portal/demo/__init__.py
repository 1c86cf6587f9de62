"""The demo scoring database: invented data in the scoring system's contract."""

from portal.demo.cli import demo_cli


def init_app(app):
    """Register the ``flask demo`` commands."""
    app.cli.add_command(demo_cli)
