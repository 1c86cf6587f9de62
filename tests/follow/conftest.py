"""Fixtures of the follow tests: organisations synced as in production, and a real SMTP server."""

import pytest

from portal import create_app
from portal.extensions import db
from tests.follow.support import NAMES, NIGHTS, PUBLIC_BASE_URL
from tests.smtp_server import SmtpServer, free_port
from tests.synced_portal import sync_at


@pytest.fixture
def app_config_overrides():
    # Links in e-mail must come from here, never from the test client's Host (localhost).
    return {"PUBLIC_BASE_URL": PUBLIC_BASE_URL}


@pytest.fixture
def organisations(app, scoring, monkeypatch):
    """Sync the first night; return {key: USCC} of NAMES (a C-graded and a cancelled one are never published)."""
    usccs = {
        "a": scoring.organisation(1, name=NAMES["a"], grade="A"),
        "b": scoring.organisation(2, name=NAMES["b"], grade="B"),
        "c_grade": scoring.organisation(3, name=NAMES["c_grade"], grade="C"),
        "cancelled": scoring.organisation(4, name=NAMES["cancelled"], grade="A", status="cancelled"),
        "leaving": scoring.organisation(5, name=NAMES["leaving"], grade="A"),
    }
    sync_at(app, monkeypatch, NIGHTS[0])
    return usccs


@pytest.fixture
def mail_port(app):
    """A free port for the SMTP server, set as MAIL_SERVER; nothing listens there until ``SmtpServer(port)``."""
    port = free_port()
    app.config.update(
        MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_DEFAULT_SENDER="noreply@credit.example.gov.cn",
        MAIL_TIMEOUT_SECONDS=5,
    )
    return port


@pytest.fixture
def inbox(mail_port):
    """aiosmtpd on 127.0.0.1 for the whole test: the messages it accepted."""
    with SmtpServer(mail_port) as messages:
        yield messages


@pytest.fixture
def csrf_app(app):
    """An app on ``app``'s databases with CSRF protection on, as deployed (the test config turns it off)."""
    keys = ("SQLALCHEMY_DATABASE_URI", "SCORING_DATABASE_URL", "INDEX_DIR", "DOWNLOADS_DIR", "PUBLIC_BASE_URL")
    protected = create_app(
        {
            **{key: app.config[key] for key in keys},
            "TESTING": True, "SECRET_KEY": "test", "RATELIMIT_ENABLED": False, "PAGE_CACHE_SIZE": 0,
            "WTF_CSRF_ENABLED": True,
        }
    )
    yield protected
    with protected.app_context():
        db.session.remove()
        db.engine.dispose()
