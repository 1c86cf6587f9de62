"""The nightly sync from the scoring database, and the /status page."""


def init_app(app):
    from portal.sync.cli import sync_cli
    from portal.sync.views import bp

    app.cli.add_command(sync_cli)
    app.register_blueprint(bp)
