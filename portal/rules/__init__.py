"""Rule sets copied from the scoring database, and the public methodology page."""


def init_app(app):
    from portal.rules import views

    app.register_blueprint(views.bp)
