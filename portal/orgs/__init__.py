"""Organisations: the public pages of published organisations."""


def init_app(app):
    from portal.orgs import change_downloads, display, views  # noqa: F401 (change_downloads: routes)

    display.init_app(app)
    app.register_blueprint(views.bp)
