"""Verifiable credit reports: PDF and printable reports with a number, a hash and a QR code, and their verification."""

from flask import current_app


def init_app(app):
    from portal.reports import views

    # Issued reports (PDF and printable page together) per visitor: each can add a stored row.
    app.config.setdefault("REPORT_RATE_LIMIT", "20 per minute;300 per day")
    # Verification pages per visitor: report numbers are unguessable, and this keeps them so.
    app.config.setdefault("REPORT_VERIFY_RATE_LIMIT", "60 per minute")
    app.add_template_global(has_endpoint)
    app.register_blueprint(views.bp)


def has_endpoint(endpoint):
    """Tell whether this app serves ``endpoint``, for links to features that may not be installed."""
    return endpoint in current_app.view_functions
