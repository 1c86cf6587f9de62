"""Fixtures: a fresh portal database and scoring database per test, on SQLite and PostgreSQL.

Every test that uses ``app`` runs twice: once on embedded SQLite files and
once on PostgreSQL (each test in its own schemas). PostgreSQL tests skip on a
laptop without PostgreSQL, and fail in CI (CI=true), where it is required.

``scoring`` writes rows into the scoring database; ``tests/synced_portal.py``
syncs them into the portal, night by night.
"""

import os
import re
import uuid
from contextlib import contextmanager
from datetime import date

import pytest
import sqlalchemy as sa

from portal import create_app
from portal.config import settings
from portal.extensions import db, limiter
from portal.scoring import dispose_engines
from portal.scoring.schema import scoring_metadata
from tests.scoring_builder import ScoringBuilder

PG_URL = os.environ.get("TEST_POSTGRESQL_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

_pg_available = None

#: The demo's "today" in tests: the demo follows the wall clock, tests follow this day,
#: so that nights after it are never in the future of the sync's clock.
DEMO_TODAY = date(2026, 11, 2)


@pytest.fixture(autouse=True, scope="session")
def demo_day():
    """Generate demo databases for ``DEMO_TODAY`` unless a test passes ``today=`` itself."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("portal.demo.generator.demo_today", lambda: DEMO_TODAY)
        yield DEMO_TODAY


def postgresql_available():
    global _pg_available
    if _pg_available is None:
        try:
            engine = sa.create_engine(PG_URL, connect_args={"connect_timeout": 3})
            with engine.connect():
                pass
            engine.dispose()
            _pg_available = True
        except Exception:
            _pg_available = False
    return _pg_available


def require_postgresql():
    if not postgresql_available():
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI but {PG_URL} is unreachable")
        pytest.skip("PostgreSQL is not available on this machine")


class PostgresSchema:
    """A throwaway PostgreSQL schema, addressed by a URL whose search_path points at it."""

    def __init__(self, prefix):
        self.name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        self.admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with self.admin.connect() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{self.name}"'))
        self.url = f"{PG_URL}?options=-csearch_path%3D{self.name}"

    def drop(self):
        with self.admin.connect() as connection:
            connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE'))
        self.admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request):
    """The database backend of this test run: 'sqlite' or 'postgresql'."""
    if request.param == "postgresql":
        require_postgresql()
    return request.param


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def live_backend(request):
    """The portal database of the live servers (gunicorn as deployed): 'sqlite' or 'postgresql'.

    The browser tests and schemathesis run once on each, as the other tests do;
    PostgreSQL is required in CI.
    """
    if request.param == "postgresql":
        require_postgresql()
    return request.param


@contextmanager
def live_portal_database(backend):
    """Yield ``portal_database_url`` for a LiveServer: None (its SQLite file) or a fresh PostgreSQL schema."""
    if backend == "sqlite":
        yield None
        return
    schema = PostgresSchema("live")
    try:
        yield schema.url
    finally:
        schema.drop()


@contextmanager
def fresh_databases(backend, folder):
    """Yield (portal URL, scoring URL) for fresh, empty databases on ``backend`` (SQLite files in ``folder``)."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'portal.db'}", f"sqlite:///{folder / 'scoring.db'}"
        return
    portal_schema = PostgresSchema("portal")
    scoring_schema = PostgresSchema("scoring")
    try:
        yield portal_schema.url, scoring_schema.url
    finally:
        dispose_engines()
        portal_schema.drop()
        scoring_schema.drop()


@pytest.fixture
def database_urls(backend, tmp_path):
    """Yield (portal URL, scoring URL) for fresh, empty databases on ``backend``."""
    with fresh_databases(backend, tmp_path) as urls:
        yield urls


def with_scoring_tables(url):
    """Create the scoring contract's tables in the empty database at ``url``; return ``url``."""
    engine = sa.create_engine(url)
    scoring_metadata.create_all(engine)
    engine.dispose()
    return url


@pytest.fixture
def scoring_url(database_urls):
    """The URL of an empty scoring database with the contract's tables."""
    return with_scoring_tables(database_urls[1])


@pytest.fixture
def app_config_overrides():
    """Settings a test module changes in the test app's config: override this fixture in the module."""
    return {}


#: PAGE_CACHE_SIZE as production runs it (its default in portal/config/settings.py).
PRODUCTION_PAGE_CACHE_SIZE = next(setting.default for setting in settings.PAGES if setting.name == "PAGE_CACHE_SIZE")


def pytest_generate_tests(metafunc):
    """Run the tests marked ``cached_and_uncached`` twice: page cache off, and on as in production."""
    if metafunc.definition.get_closest_marker("cached_and_uncached") and "page_cache_size" in metafunc.fixturenames:
        metafunc.parametrize(
            "page_cache_size", [0, PRODUCTION_PAGE_CACHE_SIZE], ids=["uncached", "cached"], indirect=True
        )


@pytest.fixture
def page_cache_size(request):
    """PAGE_CACHE_SIZE of the test app: 0 (tests change rows without a sync), or both for ``cached_and_uncached``."""
    return getattr(request, "param", 0)


@contextmanager
def portal_app(portal_url, scoring_url, folder, **overrides):
    """Yield an app of the tests on these databases, with its index and files in ``folder``; dispose of it after."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            # The test client's Host: absolute URLs in the tests read http://localhost/...
            "PUBLIC_BASE_URL": "http://localhost",
            "SQLALCHEMY_DATABASE_URI": portal_url,
            "SCORING_DATABASE_URL": scoring_url,
            "INDEX_DIR": str(folder / "index"),
            "EVIDENCE_DIR": str(folder / "evidence"),
            "DOWNLOADS_DIR": str(folder / "downloads"),
            "SYNC_RETRIES": 1,
            "SYNC_RETRY_BACKOFF_SECONDS": 0,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            **overrides,
        }
    )
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    dispose_engines()


@pytest.fixture
def app(database_urls, scoring_url, tmp_path, app_config_overrides, page_cache_size):
    """An app on fresh portal and scoring databases, with a temporary index folder."""
    # The page cache is off unless the module is marked cached_and_uncached; tests/pagecache/ turns it on too,
    # and a module's own app_config_overrides (a PAGE_CACHE_SIZE of its choice) win.
    with portal_app(database_urls[0], scoring_url, tmp_path,
                    **{"PAGE_CACHE_SIZE": page_cache_size, **app_config_overrides}) as app:
        yield app


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared_demo_portal(request, tmp_path_factory):
    """One small demo portal (60 organisations, synced and indexed) for a whole module, on each backend.

    For modules whose tests only read (the bad-input tables): one sync instead of one per test.
    """
    if request.param == "postgresql":
        require_postgresql()
    folder = tmp_path_factory.mktemp(f"demo-portal-{request.param}")
    with fresh_databases(request.param, folder) as (portal_url, scoring_url):
        with portal_app(portal_url, with_scoring_tables(scoring_url), folder, PAGE_CACHE_SIZE=0) as app:
            from portal.demo.generator import generate_scoring_db
            from portal.sync import service as sync_service

            generate_scoring_db(scoring_url, orgs=60, seed=7)
            with app.app_context():
                result = sync_service.run_sync(trigger="test")
            assert result.status == "succeeded", result.error
            app.backend = request.param
            yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def rate_limited_app(app):
    """Return a function that makes an app on ``app``'s databases with rate limiting on (the test config turns it off).

    Its keyword arguments are settings, such as the limits under test.
    """
    was_enabled = limiter.enabled
    made = []

    def make(**settings):
        limited = create_app(
            {
                **{
                    key: app.config[key]
                    for key in (
                        "SQLALCHEMY_DATABASE_URI", "SCORING_DATABASE_URL", "INDEX_DIR", "DOWNLOADS_DIR", "PUBLIC_BASE_URL"
                    )
                },
                "TESTING": True,
                "SECRET_KEY": "test",
                "RATELIMIT_ENABLED": True,
                "RATELIMIT_STORAGE_URI": "memory://",
                "PAGE_CACHE_SIZE": 0,
                **settings,
            }
        )
        limiter.reset()
        made.append(limited)
        return limited

    yield make
    limiter.enabled = was_enabled
    limiter.reset()
    for limited in made:
        with limited.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def scoring_builder_class():
    """The class of ``scoring``: a module overrides this fixture to write a rule set of its own."""
    return ScoringBuilder


@pytest.fixture
def scoring(scoring_url, scoring_builder_class):
    """A builder of rows in the test's scoring database, which holds the builder's rule set."""
    builder = scoring_builder_class(scoring_url)
    builder.rule_set()
    yield builder
    builder.dispose()


def published_matches(text, limit=20, searcher=None):
    """Return the stored fields of the ``limit`` best published matches of ``text`` (the suggestions' ranking).

    Uses the request's searcher unless one is given; each result is checked
    against the portal DB like every search surface's.
    """
    from portal.search.suggestions import checked_best_matches

    return [fields for _, fields in checked_best_matches(text, limit, searcher)]


#: A script element without src, unless it is a JSON-LD data block (type="application/ld+json"), which no browser runs.
INLINE_SCRIPT = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*\stype\s*=\s*[\"']?application/ld\+json[\"']?[\s>])", re.IGNORECASE
)


def has_inline_script(body):
    """True if a page carries a script element without src: the CSP forbids inline scripts.

    Pages may load the site's own deferred scripts (the header's suggestion combobox), which
    only enhance a page that works without them, and may carry JSON-LD data blocks
    (``<script type="application/ld+json">``): data, not script."""
    return INLINE_SCRIPT.search(body) is not None
