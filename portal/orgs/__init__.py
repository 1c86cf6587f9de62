"""Organisations: the public pages of published organisations."""


def init_app(app):
    from portal.orgs import views

    app.register_blueprint(views.bp)
