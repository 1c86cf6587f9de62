"""Every setting of the portal, with the environment variable that sets it.

Order of precedence (see ``create_app``): these defaults, then the
environment, then ``instance/portal.cfg`` if present, then a test mapping.
"""

import os
from urllib.parse import urlsplit

DEV_SECRET_KEY = "dev-only-not-secret"

#: Host names a development or test instance also answers to (`make run`, the test client).
DEVELOPMENT_HOSTS = ("localhost", "127.0.0.1")


def _env_int(name, default):
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def _env_list(name):
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


#: The trust marks of a 政府网站 in every page's footer, each with its environment variable. A value
#: left unset shows this example instead, labelled 示例 (example), as the demo does; a deployment
#: sets every one (docs/deploy.md).
SITE_IDENTITY_EXAMPLES = {
    "SITE_SPONSOR": "北京市民政局",  # 主办单位
    "SITE_OPERATOR": "北京市社会组织管理中心",  # 承办单位
    "SITE_IDENTIFIER": "1100000000",  # 网站标识码 (10 digits, 政府网站发展指引)
    "SITE_ICP_NUMBER": "京ICP备00000000号",
    "SITE_PUBLIC_SECURITY_NUMBER": "京公网安备11000000000000号",
    "SITE_CONTACT_PHONE": "010-00000000",
    "SITE_CONTACT_EMAIL": "contact@example.org",
    "SITE_CONTACT_ADDRESS": "北京市（示例地址）",
}


def _env_bool(name, default):
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def defaults(instance_path):
    """Return the default configuration for an instance folder."""
    return {
        "ENV_NAME": os.environ.get("PORTAL_ENV", "development"),
        "SECRET_KEY": os.environ.get("SECRET_KEY", DEV_SECRET_KEY),
        # The public address of the site, e.g. "https://credit.example.gov.cn": every absolute URL
        # (PDF reports and their QR codes, feeds, sitemap, canonical links, the API) is built from it,
        # never from a request's Host. Required in production; elsewhere it defaults to the address
        # gunicorn binds (PORTAL_BIND, else http://127.0.0.1:8000), see complete().
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", ""),
        # Other host names the site answers to, comma-separated ("www.credit.example.gov.cn", or
        # ".example.gov.cn" for every subdomain). complete() adds the host of PUBLIC_BASE_URL (and,
        # outside production, localhost and 127.0.0.1); a request for any other Host gets a 400.
        "TRUSTED_HOSTS": _env_list("TRUSTED_HOSTS"),
        # Reverse proxies in front of the portal that append to X-Forwarded-For and set
        # X-Forwarded-Proto (nginx: 1). The client's address is the one the outermost trusted proxy
        # saw; 0 (the default) believes no forwarded header at all. X-Forwarded-Host, -Port and
        # -Prefix are never believed: the site's address and path come from PUBLIC_BASE_URL.
        "TRUSTED_PROXY_HOPS": _env_int("TRUSTED_PROXY_HOPS", 0),
        # The portal's own database: embedded SQLite unless a URL is given.
        "SQLALCHEMY_DATABASE_URI": os.environ.get(
            "PORTAL_DATABASE_URL",
            "sqlite:///" + os.path.join(instance_path, "portal.db"),
        ),
        # hide_parameters: no complaint text or contact data in a logged database error.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
        # An optional read replica of the portal database (PostgreSQL streaming
        # replica): the SELECTs of GET requests go there, everything else to the primary.
        "PORTAL_DATABASE_REPLICA_URL": os.environ.get("PORTAL_DATABASE_REPLICA_URL") or None,
        # The scoring database: read-only, someone else's.
        "SCORING_DATABASE_URL": os.environ.get(
            "SCORING_DATABASE_URL",
            "sqlite:///" + os.path.join(instance_path, "scoring-demo.db"),
        ),
        # Seconds a scoring-database statement may run (PostgreSQL only).
        "SCORING_STATEMENT_TIMEOUT": _env_int("SCORING_STATEMENT_TIMEOUT", 600),
        "SCORING_CONNECT_TIMEOUT": _env_int("SCORING_CONNECT_TIMEOUT", 10),
        # Sync behaviour.
        "SYNC_CRON": os.environ.get("SYNC_CRON", "30 2 * * *"),
        "SYNC_TIMEZONE": os.environ.get("SYNC_TIMEZONE", "Asia/Shanghai"),
        "SYNC_FULL_EVERY_DAYS": _env_int("SYNC_FULL_EVERY_DAYS", 7),
        "SYNC_OVERLAP_SECONDS": _env_int("SYNC_OVERLAP_SECONDS", 600),
        "SYNC_FUTURE_TOLERANCE_SECONDS": _env_int("SYNC_FUTURE_TOLERANCE_SECONDS", 300),
        "SYNC_RETRIES": _env_int("SYNC_RETRIES", 3),
        "SYNC_RETRY_BACKOFF_SECONDS": float(os.environ.get("SYNC_RETRY_BACKOFF_SECONDS", "5")),
        "SYNC_CHUNK_SIZE": _env_int("SYNC_CHUNK_SIZE", 2000),
        "SYNC_LOCK_WAIT_SECONDS": float(os.environ.get("SYNC_LOCK_WAIT_SECONDS", "2")),
        # Search index: one folder per node.
        "INDEX_DIR": os.environ.get("INDEX_DIR", os.path.join(instance_path, "index")),
        "INDEX_CATCH_UP_SECONDS": _env_int("INDEX_CATCH_UP_SECONDS", 300),
        # After a failed catch-up (a full disk, a read-only folder) the scheduler tries again after
        # this many seconds, then twice as long each time, up to the maximum; the regular catch-up
        # waits meanwhile (a failing rebuild of 900,000 organisations is not retried every 5 minutes).
        "INDEX_CATCH_UP_RETRY_SECONDS": _env_int("INDEX_CATCH_UP_RETRY_SECONDS", 30),
        "INDEX_CATCH_UP_RETRY_MAXIMUM_SECONDS": _env_int("INDEX_CATCH_UP_RETRY_MAXIMUM_SECONDS", 3600),
        "JIEBA_CACHE_DIR": os.environ.get("JIEBA_CACHE_DIR", instance_path),
        # Pages.
        "LANGUAGES": ("zh", "en"),
        "BABEL_DEFAULT_LOCALE": "zh",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        # Rendered public pages kept per process for the current publication state.
        "PAGE_CACHE_SIZE": _env_int("PAGE_CACHE_SIZE", 500),
        "LIST_PAGE_SIZE": _env_int("LIST_PAGE_SIZE", 50),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Secure cookies in production (served over https); `make run` and the tests serve plain http.
        "SESSION_COOKIE_SECURE": _env_bool(
            "SESSION_COOKIE_SECURE", os.environ.get("PORTAL_ENV", "development") == "production"
        ),
        # Strict-Transport-Security on requests served over https (0 turns it off).
        "HSTS_MAX_AGE": _env_int("HSTS_MAX_AGE", 365 * 24 * 3600),
        # Five evidence files of 10 MB, and the form around them.
        "MAX_CONTENT_LENGTH": _env_int("MAX_CONTENT_LENGTH", 52 * 1024 * 1024),
        # Pixels of an evidence image (width × height), checked in its header before it is decoded, and
        # Pillow's MAX_IMAGE_PIXELS (its decompression-bomb warning is a refusal). 25 megapixels take the
        # photos people send: 12 MP phones, 24 MP phones and cameras (5712 × 4284, 6000 × 4000), an A4
        # page scanned at 400 dpi (15.5 MP); decoding one costs at most 100 MB (4 bytes a pixel) for a
        # few seconds. 48 MP photos and 600 dpi scans are refused with a message that says the limit.
        "COMPLAINT_EVIDENCE_MAX_PIXELS": _env_int("COMPLAINT_EVIDENCE_MAX_PIXELS", 25_000_000),
        # Rate limits (Flask-Limiter): in-memory per worker unless a URL is given.
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        # Off only for load and security scans on loopback (bench/sqlmap_scan.py).
        "RATELIMIT_ENABLED": _env_bool("RATELIMIT_ENABLED", True),
        # Several nodes share one Redis: a prefix keeps each deployment's counters apart.
        "RATELIMIT_KEY_PREFIX": os.environ.get("RATELIMIT_KEY_PREFIX", "portal"),
        "SEARCH_SUGGEST_RATE_LIMIT": os.environ.get("SEARCH_SUGGEST_RATE_LIMIT", "300 per minute"),
        # Staff second factor (TOTP, RFC 6238). The roles that must use it, comma-separated
        # ("supervisor", "handler,supervisor", or empty for none): supervisors in production,
        # nobody elsewhere. Anyone may set it up; an unknown role refuses to start.
        "STAFF_TOTP_REQUIRED_ROLES": os.environ.get(
            "STAFF_TOTP_REQUIRED_ROLES",
            "supervisor" if os.environ.get("PORTAL_ENV", "development") == "production" else "",
        ),
        # The name authenticator apps show beside the codes.
        "STAFF_TOTP_ISSUER": os.environ.get("STAFF_TOTP_ISSUER", "北京市社会组织信用信息公示平台"),
        # Fernet key(s) that encrypt the TOTP secrets at rest, "new,old" to rotate. Unset: the secrets
        # use COMPLAINT_CONTACT_KEY. When setting it later, list that key after it, or secrets are lost.
        "STAFF_TOTP_KEY": os.environ.get("STAFF_TOTP_KEY") or None,
        # Seconds allowed between the password and the code before the sign-in starts again.
        "STAFF_TOTP_PENDING_SECONDS": _env_int("STAFF_TOTP_PENDING_SECONDS", 300),
        # Staff sign-in delays (portal/staff/throttle.py), per account name and client address; no
        # account is ever locked. Failures allowed before the first delay, the first delay in seconds
        # (doubling with each further failure), the longest delay, and hours after which a quiet
        # account name and address are forgotten.
        "STAFF_SIGN_IN_FREE_ATTEMPTS": _env_int("STAFF_SIGN_IN_FREE_ATTEMPTS", 5),
        "STAFF_SIGN_IN_DELAY_SECONDS": _env_int("STAFF_SIGN_IN_DELAY_SECONDS", 30),
        "STAFF_SIGN_IN_MAX_DELAY_SECONDS": _env_int("STAFF_SIGN_IN_MAX_DELAY_SECONDS", 3600),
        "STAFF_SIGN_IN_FORGET_HOURS": _env_int("STAFF_SIGN_IN_FORGET_HOURS", 24),
        # Trust marks and contact (see SITE_IDENTITY_EXAMPLES): None shows the labelled example.
        **{name: os.environ.get(name) or None for name in SITE_IDENTITY_EXAMPLES},
        # The licence of the open data, named on /data and in every download's header, and how to cite it.
        "DATA_LICENCE_NAME": os.environ.get("DATA_LICENCE_NAME", "CC BY 4.0"),
        "DATA_LICENCE_URL": os.environ.get("DATA_LICENCE_URL", "https://creativecommons.org/licenses/by/4.0/"),
        # 我为政府网站找错 (report an error on the site): per-address limits, and the longest texts.
        "SITE_ERROR_REPORT_RATE_LIMIT": os.environ.get("SITE_ERROR_REPORT_RATE_LIMIT", "5 per minute;30 per day"),
        "SITE_ERROR_REPORT_FORM_RATE_LIMIT": os.environ.get("SITE_ERROR_REPORT_FORM_RATE_LIMIT", "60 per minute"),
        "SITE_ERROR_REPORT_MAX_DESCRIPTION": _env_int("SITE_ERROR_REPORT_MAX_DESCRIPTION", 2000),
    }


def check_production(config):
    """Refuse to run a production instance with development settings."""
    if config["ENV_NAME"] != "production":
        return
    if config["SECRET_KEY"] in (None, "", DEV_SECRET_KEY):
        raise RuntimeError("SECRET_KEY must be set to a real secret in production")
    if not config["PUBLIC_BASE_URL"]:
        raise RuntimeError(
            "PUBLIC_BASE_URL must be set in production to the site's public address, e.g. https://credit.example.gov.cn"
        )


def development_base_url():
    """Return the address of a development instance: the one gunicorn binds (PORTAL_BIND), on loopback."""
    bind = os.environ.get("PORTAL_BIND", "")
    host, _, port = bind.rpartition(":")
    if bind.startswith(("unix:", "fd:")) or not port.isdigit():
        return "http://127.0.0.1:8000"
    if host in ("", "0.0.0.0", "[::]", "::"):
        host = "127.0.0.1"
    return f"http://{host}:{port}"


def public_base_url(value):
    """Return PUBLIC_BASE_URL normalised (no trailing slash); raise RuntimeError if it is not an http(s) address."""
    parts = urlsplit(value.strip())
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username is not None
        or parts.query
        or parts.fragment
    ):
        raise RuntimeError(
            f"PUBLIC_BASE_URL must be an http or https address with a host and no query, "
            f"e.g. https://credit.example.gov.cn (not {value!r})"
        )
    return f"{parts.scheme}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


def complete(config):
    """Fill in the settings derived from others: the public address and the trusted hosts.

    Runs after check_production, so that production has set PUBLIC_BASE_URL itself.
    """
    config["PUBLIC_BASE_URL"] = public_base_url(config["PUBLIC_BASE_URL"] or development_base_url())
    hosts = [urlsplit(config["PUBLIC_BASE_URL"]).hostname]
    extra = config["TRUSTED_HOSTS"] or []
    hosts += [host.strip() for host in (extra.split(",") if isinstance(extra, str) else extra) if host.strip()]
    if config["ENV_NAME"] != "production":
        hosts += DEVELOPMENT_HOSTS
    config["TRUSTED_HOSTS"] = list(dict.fromkeys(host.lower() for host in hosts))
    hops = config["TRUSTED_PROXY_HOPS"]
    if not isinstance(hops, int) or hops < 0:
        raise RuntimeError(f"TRUSTED_PROXY_HOPS must be a whole number, 0 or more (not {hops!r})")
