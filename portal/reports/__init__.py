"""Verifiable credit reports: PDF and printable reports with a number, a hash and a QR code, and their verification."""

from flask import current_app


def init_app(app):
    from portal.reports import views

    app.add_template_global(has_endpoint)
    app.register_blueprint(views.bp)


def has_endpoint(endpoint):
    """Tell whether this app serves ``endpoint``, for links to features that may not be installed."""
    return endpoint in current_app.view_functions
