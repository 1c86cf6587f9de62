"""Read access to the scoring database (someone else's; read-only)."""

from flask import current_app
from sqlalchemy import create_engine, event
from sqlalchemy.engine import make_url

_engines = {}


class ScoringUnavailable(Exception):
    """The scoring database could not be reached or did not answer in time."""


def make_scoring_engine(url, statement_timeout=None, connect_timeout=10):
    """Create a read-only engine for the scoring database at ``url``.

    The session is put in read-only mode on connect, so a bug in the portal
    can never write to someone else's database.
    """
    connect_args = {}
    url = make_url(url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        # Open the file read-only: a missing file is an error, never a new empty database.
        url = url.set(database=f"file:{url.database}", query={**url.query, "mode": "ro", "uri": "true"})
    if url.get_backend_name() == "postgresql":
        # Merge with any options in the URL (a search_path, say): connect_args win otherwise.
        options = " ".join(filter(None, [url.query.get("options"), "-c default_transaction_read_only=on"]))
        url = url.difference_update_query(["options"])
        if statement_timeout:
            options += f" -c statement_timeout={int(statement_timeout * 1000)}"
        connect_args = {"options": options, "connect_timeout": connect_timeout}
    elif url.get_backend_name() == "sqlite":
        connect_args = {"timeout": connect_timeout}
    engine = create_engine(url, pool_pre_ping=True, connect_args=connect_args)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _read_only(dbapi_connection, _record):
            dbapi_connection.execute("PRAGMA query_only = ON")
            # SQLite keeps whatever bytes were written to a text column: one
            # invalid UTF-8 sequence would fail every read of the table (and
            # every night's sync). The reader reads them as lone surrogates
            # instead (tolerant_decoding), which it removes and records like
            # any control character.
            tolerant_decoding(dbapi_connection, True)

    return engine


def tolerant_decoding(dbapi_connection, tolerant):
    """Make an SQLite connection decode text that is not UTF-8 to lone surrogates (``tolerant``), or fail on it.

    Tolerant decoding is a Python call per text value; the strict one is
    SQLite's own, and about twice as fast to read.
    """
    dbapi_connection.text_factory = _decode_text if tolerant else str


def is_undecodable_text(exc):
    """Return whether ``exc`` (a DBAPIError) is SQLite's refusal of text that is not UTF-8, under strict decoding."""
    return "Could not decode to UTF-8" in str(getattr(exc, "orig", exc))


def _decode_text(data):
    return data.decode("utf-8", "surrogateescape")


def get_scoring_engine(app=None):
    """Return this process's engine for the configured scoring database."""
    app = app or current_app
    url = app.config["SCORING_DATABASE_URL"]
    engine = _engines.get(url)
    if engine is None:
        engine = _engines[url] = make_scoring_engine(
            url,
            statement_timeout=app.config["SCORING_STATEMENT_TIMEOUT"],
            connect_timeout=app.config["SCORING_CONNECT_TIMEOUT"],
        )
    return engine


def dispose_engines():
    """Close every pooled scoring connection (after fork, and in tests)."""
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()

