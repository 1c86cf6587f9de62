"""Complaints from the public about social organisations: submission, acknowledgement, status lookup."""

import logging
import os

from flask import Blueprint
from PIL import Image

from portal.complaints import crypto

log = logging.getLogger(__name__)

bp = Blueprint("complaints", __name__, url_prefix="/complaints")


def _env_int(name, default):
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def _configure(app):
    config = app.config
    # Fernet key(s) for contact details, "new,old" to rotate. Required in production.
    config.setdefault("COMPLAINT_CONTACT_KEY", os.environ.get("COMPLAINT_CONTACT_KEY"))
    # Evidence files live here, outside the web root; only staff download them.
    config.setdefault("EVIDENCE_DIR", os.environ.get("EVIDENCE_DIR", os.path.join(app.instance_path, "evidence")))
    # Days after a complaint is concluded (or rejected) before its contact details are deleted.
    config.setdefault("COMPLAINT_CONTACT_RETENTION_DAYS", _env_int("COMPLAINT_CONTACT_RETENTION_DAYS", 365))
    # Length of the description, in characters.
    config.setdefault("COMPLAINT_DESCRIPTION_MIN", 20)
    config.setdefault("COMPLAINT_DESCRIPTION_MAX", 5000)
    # Evidence: number of files and bytes per file (pixels per image: COMPLAINT_EVIDENCE_MAX_PIXELS in config.py).
    config.setdefault("COMPLAINT_EVIDENCE_MAX_FILES", 5)
    config.setdefault("COMPLAINT_EVIDENCE_MAX_BYTES", 10 * 1024 * 1024)
    # A form sent sooner than this after it was shown is a robot's.
    config.setdefault("COMPLAINT_MIN_FILL_SECONDS", _env_int("COMPLAINT_MIN_FILL_SECONDS", 3))
    # A form older than this has expired (the visitor reloads it).
    config.setdefault("COMPLAINT_FORM_MAX_AGE_SECONDS", 24 * 3600)
    # Per-IP rate limits (Flask-Limiter syntax).
    config.setdefault(
        "COMPLAINT_SUBMIT_RATE_LIMIT", os.environ.get("COMPLAINT_SUBMIT_RATE_LIMIT", "5 per minute;30 per day")
    )
    config.setdefault(
        "COMPLAINT_STATUS_RATE_LIMIT", os.environ.get("COMPLAINT_STATUS_RATE_LIMIT", "10 per minute;60 per hour")
    )
    config.setdefault("COMPLAINT_FORM_RATE_LIMIT", os.environ.get("COMPLAINT_FORM_RATE_LIMIT", "60 per minute"))
    # Files without a committed row, older than this, are deleted by `flask complaints cleanup`.
    config.setdefault("COMPLAINT_ORPHAN_MAX_AGE_SECONDS", 3600)
    # An access code not yet shown (its acknowledgement page never arrived) is kept, encrypted, this long.
    config.setdefault("COMPLAINT_PENDING_CODE_SECONDS", 3600)

    if not config.get("COMPLAINT_CONTACT_KEY"):
        production = config.get("ENV_NAME") == "production" or not (
            config.get("DEBUG") or config.get("TESTING") or config.get("ENV_NAME") == "development"
        )
        if production:
            raise RuntimeError("COMPLAINT_CONTACT_KEY must be set in production (flask complaints generate-key)")
        if config.get("TESTING"):
            # Tests: a key for this app only.
            config["COMPLAINT_CONTACT_KEY"] = crypto.generate_key()
        else:
            # Development: a key kept in the instance folder, shared by every worker and restart.
            config["COMPLAINT_CONTACT_KEY"] = _development_key(app.instance_path)
    crypto.build_fernet(config["COMPLAINT_CONTACT_KEY"])  # raises ContactKeyError on a bad key


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
