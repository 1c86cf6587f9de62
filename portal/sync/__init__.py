"""The nightly sync from the scoring database, and the /status page."""

import importlib.util


def init_app(app):
    from portal.sync.cli import sync_cli

    app.cli.add_command(sync_cli)
    if importlib.util.find_spec("portal.sync.views") and "sync" not in app.blueprints:
        from portal.sync.views import bp

        app.register_blueprint(bp)
