"""Complaints from the public about social organisations: submission, acknowledgement, status lookup."""

import logging
import os

from flask import Blueprint
from PIL import Image

from portal import working_days
from portal.complaints import crypto

log = logging.getLogger(__name__)

bp = Blueprint("complaints", __name__, url_prefix="/complaints")


def _configure(app):
    """Give development and tests a contact key (production must set one: portal/config/load.py)."""
    config = app.config
    if not config.get("COMPLAINT_CONTACT_KEY"):
        if config.get("TESTING"):
            # Tests: a key for this app only.
            config["COMPLAINT_CONTACT_KEY"] = crypto.generate_key()
        else:
            # Development: a key kept in the instance folder, shared by every worker and restart.
            config["COMPLAINT_CONTACT_KEY"] = _development_key(app.instance_path)
    crypto.build_fernet(config["COMPLAINT_CONTACT_KEY"])  # raises ContactKeyError on a bad key
    # A malformed holiday schedule stops the start, rather than the first deadline or /status.
    working_days.calendar(config["WORKING_DAYS_SCHEDULE_FILE"] or None)


def _development_key(instance_path):
    path = os.path.join(instance_path, "complaint-contact.key")
    try:
        with open(path, encoding="ascii") as file:
            return file.read().strip()
    except FileNotFoundError:
        pass
    os.makedirs(instance_path, exist_ok=True)
    key = crypto.generate_key()
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        # Another worker wrote it first.
        with open(path, encoding="ascii") as file:
            return file.read().strip()
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(key)
    log.warning("COMPLAINT_CONTACT_KEY is not set: using a development key in %s", path)
    return key


class _NoRowsLogger(logging.LoggerAdapter):
    """An engine logger that never logs result rows, whatever the level of sqlalchemy.engine.

    With sqlalchemy.engine at DEBUG, SQLAlchemy logs every row it fetches:
    complaint texts included. Statements still log at INFO, with their
    parameters hidden (``hide_parameters``).
    """

    def isEnabledFor(self, level):
        return level > logging.DEBUG and self.logger.isEnabledFor(level)

    def process(self, msg, kwargs):
        return msg, kwargs


def _protect_sql_logs(app):
    # Complaint texts and contact tokens are SQL parameters and result rows: keep them out of
    # the logs (and out of exception messages), even with sqlalchemy.engine at INFO or DEBUG.
    # Engines are created by db.init_app but connect lazily: this opens no connection.
    from portal.extensions import db

    with app.app_context():
        for engine in db.engines.values():
            engine.hide_parameters = True
            if not isinstance(engine.logger, _NoRowsLogger):
                engine.logger = _NoRowsLogger(engine.logger, {})


def init_app(app):
    from portal.complaints import cli, views  # noqa: F401 (views registers the routes on bp)

    _configure(app)
    # Pillow warns above MAX_IMAGE_PIXELS (a warning that evidence.py turns into a refusal) and fails
    # above twice that; its default, 89 megapixels, would let a 50-megapixel image be decoded.
    Image.MAX_IMAGE_PIXELS = app.config["COMPLAINT_EVIDENCE_MAX_PIXELS"]
    _protect_sql_logs(app)
    app.register_blueprint(bp)
    app.cli.add_command(cli.complaints_cli)
