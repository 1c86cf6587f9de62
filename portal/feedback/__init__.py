"""我为政府网站找错: anyone reports an error on a page of the site; staff read and close the reports."""

from flask import Blueprint

bp = Blueprint("feedback", __name__)


def init_app(app):
    from portal.feedback import views  # noqa: F401  (registers the routes on bp)

    app.register_blueprint(bp)
