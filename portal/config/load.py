"""Build the configuration from the settings tables, and hold production to its rules."""

import os
from urllib.parse import urlsplit

from portal.config import features, settings
from portal.config.setting import Context
from portal.config.settings import DEV_SECRET_KEY

#: Host names a development or test instance also answers to (`make run`, the test client).
DEVELOPMENT_HOSTS = ("localhost", "127.0.0.1")

#: (title, settings), in the order the guide and ``flask config show`` list them.
SECTIONS = (
    ("Site and security", settings.SITE),
    ("Databases", settings.DATABASES),
    ("Nightly sync", settings.SYNC),
    ("Search index", settings.INDEX),
    ("Pages", settings.PAGES),
    ("Rate limits", settings.RATE_LIMITS),
    ("Complaints", features.COMPLAINTS),
    ("Following by e-mail", features.FOLLOW),
    ("Staff console", features.STAFF),
    ("JSON API", features.API),
    ("Open data", features.OPEN_DATA),
    ("Reports", features.REPORTS),
    ("Site identity and error reports", features.SITE_IDENTITY),
    ("Web process (gunicorn.conf.py)", settings.WEB_PROCESS),
)
SETTINGS = tuple(setting for _, section in SECTIONS for setting in section)


def context(instance_path, environ=None):
    """Return what the defaults depend on: the instance folder, and whether PORTAL_ENV is production."""
    environ = os.environ if environ is None else environ
    return Context(instance_path=instance_path, production=environ.get("PORTAL_ENV", "").strip() == "production")


def defaults(instance_path, environ=None):
    """Return every setting of the app from the environment, else its default, for an instance folder."""
    here = context(instance_path, environ)
    return {setting.name: setting.value(here, environ) for setting in SETTINGS if setting.app}


def server_setting(name, environ=None):
    """Return a setting of the web process (gunicorn.conf.py) from the environment, else its default."""
    (setting,) = (setting for setting in settings.WEB_PROCESS if setting.name == name)
    return setting.value(context("", environ), environ)


def needs_contact_key(config):
    """Tell whether this instance must be given COMPLAINT_CONTACT_KEY (anything but development and tests)."""
    return config.get("ENV_NAME") == "production" or not (
        config.get("DEBUG") or config.get("TESTING") or config.get("ENV_NAME") == "development"
    )


def check_production(config):
    """Refuse to run a production instance with development settings."""
    if config["ENV_NAME"] == "production":
        if config["SECRET_KEY"] in (None, "", DEV_SECRET_KEY):
            raise RuntimeError("SECRET_KEY must be set to a real secret in production")
        if not config["PUBLIC_BASE_URL"]:
            raise RuntimeError(
                "PUBLIC_BASE_URL must be set in production to the site's public address, "
                "e.g. https://credit.example.gov.cn"
            )
    if not config.get("COMPLAINT_CONTACT_KEY") and needs_contact_key(config):
        raise RuntimeError("COMPLAINT_CONTACT_KEY must be set in production (flask complaints generate-key)")


def check_web_timeout(config, web_timeout):
    """Refuse a PDF wait and render time that gunicorn's WEB_TIMEOUT would cut short.

    A request for a PDF not yet rendered may wait REPORT_PDF_WAIT_SECONDS for
    a render slot, then render for up to REPORT_PDF_RENDER_TIMEOUT_SECONDS: the
    worker must answer (the PDF, or a clean 503 or 500) before gunicorn kills it.
    """
    longest = config["REPORT_PDF_WAIT_SECONDS"] + config["REPORT_PDF_RENDER_TIMEOUT_SECONDS"]
    if longest >= web_timeout:
        raise RuntimeError(
            f"REPORT_PDF_WAIT_SECONDS + REPORT_PDF_RENDER_TIMEOUT_SECONDS ({longest:g} s) must be shorter than "
            f"WEB_TIMEOUT ({web_timeout} s), or gunicorn kills a worker waiting for a PDF"
        )


def development_base_url():
    """Return the address of a development instance: the one gunicorn binds (PORTAL_BIND), on loopback."""
    bind = server_setting("PORTAL_BIND")
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
