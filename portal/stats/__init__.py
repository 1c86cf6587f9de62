"""Statistics of the public list: the /stats page, its CSV tables, and ``service.published_statistics()`` for the API."""


def init_app(app):
    from portal.stats import views

    app.register_blueprint(views.bp)
