"""Every setting of the portal, by area: its variable, type, default and production rule.

Add a setting here (and to docs/deploy.md if an operator sets it on a node);
the app reads it from ``current_app.config`` by its name. Settings of one feature
are in ``features.py``.
"""

import multiprocessing

from portal.config.setting import Computed, InInstance, Setting

DEV_SECRET_KEY = "dev-only-not-secret"

SITE = (
    Setting(
        "ENV_NAME", str, "development", env="PORTAL_ENV", deploy=True,
        help="production turns on the production rules of the settings",
        production="set to production on every production node",
    ),
    Setting(
        "SECRET_KEY", str, DEV_SECRET_KEY, secret=True, deploy=True,
        help="signs sessions and forms; the same on every node",
        production="required: the development secret refuses to start",
    ),
    Setting(
        "PUBLIC_BASE_URL", str, Computed(lambda context: "", "http:// + PORTAL_BIND"), deploy=True,
        help="the site's public address: every absolute URL (PDF reports and their QR codes, feeds, sitemap, "
        "canonical links, the API) is built from it, never from a request's Host",
        production="required",
    ),
    Setting(
        "TRUSTED_HOSTS", list, [], deploy=True,
        help="other host names the site answers to (.example.gov.cn: every subdomain); the host of "
        "PUBLIC_BASE_URL is always trusted; any other Host gets a 400",
        production="localhost and 127.0.0.1 are no longer trusted",
    ),
    Setting(
        "TRUSTED_PROXY_HOPS", int, 0, deploy=True,
        help="reverse proxies in front that append to X-Forwarded-For and set X-Forwarded-Proto (nginx: 1); "
        "0 believes no forwarded header; X-Forwarded-Host, -Port and -Prefix are never believed",
    ),
    Setting(
        "SESSION_COOKIE_SECURE", bool, False, production_default=True, deploy=True,
        help="cookies only over https; `make run` and the tests serve plain http",
        production="on by default",
    ),
    Setting("SESSION_COOKIE_HTTPONLY", bool, True, env=None, help="no script reads the session cookie"),
    Setting("SESSION_COOKIE_SAMESITE", str, "Lax", env=None, help="the session cookie's SameSite"),
    Setting(
        "HSTS_MAX_AGE", int, 365 * 24 * 3600, deploy=True,
        help="Strict-Transport-Security on requests served over https, in seconds (0 turns it off)",
    ),
    Setting(
        "MAX_CONTENT_LENGTH", int, 52 * 1024 * 1024,
        help="largest request body in bytes: five evidence files of 10 MB and the form around them",
    ),
)

DATABASES = (
    Setting(
        "SQLALCHEMY_DATABASE_URI", str, InInstance("portal.db", prefix="sqlite:///"), env="PORTAL_DATABASE_URL",
        deploy=True, help="the portal's own database (the primary: every write)",
    ),
    Setting(
        "SQLALCHEMY_ENGINE_OPTIONS", dict, {"pool_pre_ping": True, "hide_parameters": True}, env=None,
        help="hide_parameters: no complaint text or contact data in a logged database error",
    ),
    Setting(
        "PORTAL_DATABASE_REPLICA_URL", str, None, deploy=True,
        help="an optional read replica (PostgreSQL streaming replica): the SELECTs of GET requests go there",
    ),
    Setting(
        "SCORING_DATABASE_URL", str, InInstance("scoring-demo.db", prefix="sqlite:///"), deploy=True,
        help="the scoring database: read-only, someone else's (a read-only account)",
    ),
    Setting("SCORING_STATEMENT_TIMEOUT", int, 600, help="seconds a scoring-database statement may run (PostgreSQL)"),
    Setting("SCORING_CONNECT_TIMEOUT", int, 10, help="seconds to connect to the scoring database"),
)

SYNC = (
    Setting(
        "SYNC_CRON", str, "30 2 * * *", deploy=True,
        help="when the scheduler runs the nightly sync (crontab); identical on every node, the lock lets one apply",
    ),
    Setting("SYNC_TIMEZONE", str, "Asia/Shanghai", deploy=True, help="the time zone of SYNC_CRON"),
    Setting("SYNC_FULL_EVERY_DAYS", int, 7, help="a full run (every row, deletions reconciled) at least this often"),
    Setting("SYNC_OVERLAP_SECONDS", int, 600, help="an incremental run reads back this far before its watermark"),
    Setting(
        "SYNC_FUTURE_TOLERANCE_SECONDS", int, 300,
        help="a source row stamped further in the future than this is quarantined",
    ),
    Setting("SYNC_RETRIES", int, 3, help="attempts of a run while the scoring database is down or slow"),
    Setting("SYNC_RETRY_BACKOFF_SECONDS", float, 5.0, help="the first wait between attempts, doubled each time"),
    Setting("SYNC_CHUNK_SIZE", int, 2000, help="source rows read and written per chunk"),
    Setting("SYNC_LOCK_WAIT_SECONDS", float, 2.0, help="how long a run waits for another run's lock, then skips"),
)

INDEX = (
    Setting(
        "INDEX_DIR", str, InInstance("index"), deploy=True,
        help="the search index: local to the node, never shared (Whoosh wants one writer)",
    ),
    Setting(
        "INDEX_CATCH_UP_SECONDS", int, 300, deploy=True,
        help="the scheduler brings the node's index up to the publication version this often",
    ),
    Setting(
        "INDEX_CATCH_UP_RETRY_SECONDS", int, 30,
        help="after a failed catch-up (a full disk, a read-only folder), try again after this long, "
        "then twice as long each time",
    ),
    Setting("INDEX_CATCH_UP_RETRY_MAXIMUM_SECONDS", int, 3600, help="the longest wait between catch-up retries"),
    Setting(
        "JIEBA_CACHE_DIR", str, Computed(lambda context: context.instance_path, "instance"), deploy=True,
        help="jieba's 9 MB dictionary cache",
    ),
)

PAGES = (
    Setting("LANGUAGES", tuple, ("zh", "en"), env=None, help="the languages of the site, the first the default"),
    Setting("BABEL_DEFAULT_LOCALE", str, "zh", env=None, help="the language of a visitor who chose none"),
    Setting("BABEL_DEFAULT_TIMEZONE", str, "Asia/Shanghai", env=None, help="the time zone pages show times in"),
    Setting(
        "BABEL_TRANSLATION_DIRECTORIES", str, "translations", env=None,
        help="the catalogues, relative to the portal package",
    ),
    Setting("PAGE_CACHE_SIZE", int, 500, help="rendered public pages kept per process for the current publication"),
    Setting("LIST_PAGE_SIZE", int, 50, help="organisations per page of the public list"),
    Setting("SEARCH_PAGE_SIZE", int, 20, help="results per page of the search"),
    Setting(
        "SEARCH_SUGGEST_RATE_LIMIT", str, "300 per minute",
        help="name suggestions per client address (Flask-Limiter syntax)",
    ),
)

RATE_LIMITS = (
    Setting(
        "RATELIMIT_STORAGE_URI", str, "memory://", deploy=True,
        help="where rate-limit counters live: memory:// counts per worker; several nodes share a Redis",
    ),
    Setting("RATELIMIT_HEADERS_ENABLED", bool, True, env=None, help="RateLimit headers on limited responses"),
    Setting(
        "RATELIMIT_ENABLED", bool, True,
        help="off only for load and security scans on loopback (bench/sqlmap_scan.py)",
    ),
    Setting(
        "RATELIMIT_KEY_PREFIX", str, "portal", deploy=True,
        help="keeps the counters of deployments that share one Redis apart",
    ),
)

WEB_PROCESS = (
    Setting(
        "PORTAL_BIND", str, "127.0.0.1:8000", app=False, deploy=True,
        help="the address gunicorn binds (not PORT: honcho sets PORT for every process)",
    ),
    Setting(
        "WEB_CONCURRENCY", int, Computed(lambda context: min(multiprocessing.cpu_count() * 2, 4), "2 × cores, at most 4"),
        app=False, deploy=True, help="gunicorn workers",
    ),
    Setting("WEB_TIMEOUT", int, 30, app=False, help="seconds before gunicorn restarts a silent worker"),
    Setting("WEB_MAX_REQUESTS", int, 20000, app=False, help="requests before a worker is recycled"),
    Setting("WEB_ACCESS_LOG", str, "-", app=False, help="gunicorn's access log (- is standard output)"),
    Setting("WEB_LOG_LEVEL", str, "info", app=False, help="gunicorn's log level"),
)
