"""Organisations: the public pages of published organisations."""


def init_app(app):
    from portal.orgs import display, views

    display.init_app(app)
    app.register_blueprint(views.bp)
