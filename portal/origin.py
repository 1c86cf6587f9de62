"""Where a request comes from and where the site lives, decided by configuration, not by headers.

- The client's address is the one the trusted reverse proxies vouch for
  (``TRUSTED_PROXY_HOPS``, applied by werkzeug's ProxyFix); every forwarded
  header is removed from the request afterwards, so no code and no library can
  read a value the client made up. Rate limits, sign-in throttling, staff
  sessions and logs take it from ``client_address()``.
- Absolute URLs (PDF reports and their QR codes, feeds, sitemaps, canonical
  links, the API) are built from ``PUBLIC_BASE_URL`` by ``public_url()``,
  never from the request's Host, and a request for a Host that is not the
  site's (``TRUSTED_HOSTS``) is refused with a 400 before any view or cache.
"""

import ipaddress

from flask import current_app, has_request_context, request, url_for
from flask_babel import get_locale
from werkzeug.exceptions import SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix

#: The forwarding headers a client could send, as WSGI environ keys: none survives the proxy fix.
FORWARDED_HEADERS = (
    "HTTP_FORWARDED",
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_FORWARDED_PREFIX",
    "HTTP_X_REAL_IP",
)

#: The prefix length that groups IPv6 addresses for rate limits: one subscriber's allocation.
IPV6_RATE_LIMIT_PREFIX = 64


class TrustedProxies:
    """WSGI middleware: believe the forwarded headers of ``hops`` proxies, then drop every forwarded header.

    With 0 hops nothing is believed: the address is the TCP peer's, the scheme
    the server's. With n hops the client is the n-th address from the right of
    X-Forwarded-For (what the outermost trusted proxy saw), so entries a client
    writes itself on the left are never used.
    """

    def __init__(self, app, hops):
        self.app = app
        self.hops = hops
        inner = self._without_forwarded_headers
        self.wsgi = ProxyFix(inner, x_for=hops, x_proto=hops) if hops else inner

    def _without_forwarded_headers(self, environ, start_response):
        for key in FORWARDED_HEADERS:
            environ.pop(key, None)
        return self.app(environ, start_response)

    def __call__(self, environ, start_response):
        return self.wsgi(environ, start_response)


def client_address():
    """Return the client's IP address (through the trusted proxies only); None outside a request."""
    return request.remote_addr if has_request_context() else None


def rate_limit_key():
    """Return the key of the client's rate-limit buckets: its address, or its /64 network for IPv6.

    One IPv6 subscriber holds a whole /64, so a per-address limit would let one
    script take 2^64 fresh buckets.
    """
    address = client_address() or "127.0.0.1"
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 6:
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/{IPV6_RATE_LIMIT_PREFIX}", strict=False))
    return str(parsed)


def public_base_url():
    """Return the site's public address (PUBLIC_BASE_URL) without a trailing slash."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/")


def public_path_url(path):
    """Return the absolute public URL of ``path``, a path on this site (with its query), relative to the site's root."""
    return public_base_url() + "/" + path.lstrip("/")


def public_url(endpoint, **values):
    """Return the absolute URL of an endpoint on the public site: ``url_for`` under PUBLIC_BASE_URL.

    The path is url_for's (so ``?lang=`` is carried as on any link), without
    this request's script root, which PUBLIC_BASE_URL's own path replaces.
    """
    path = url_for(endpoint, **values)
    root = request.script_root if has_request_context() else ""
    if root and path.startswith(root):
        path = path[len(root) :]
    return public_path_url(path)


def _refuse_untrusted_host():
    # Flask found the Host untrusted while binding the request (TRUSTED_HOSTS) and left the
    # error for the view: raise it before anything else (CSRF, rate limits, caches, views) runs.
    if isinstance(request.routing_exception, SecurityError):
        raise request.routing_exception


def _untrusted_host_page(error):
    # No URL can be built for this request (Flask binds URLs to a trusted Host only), so the
    # page is a short one of its own, linking to the site's real address.
    language = get_locale().language
    template = current_app.jinja_env.get_template("errors/untrusted_host.html")
    body = template.render(
        html_lang={"zh": "zh-CN"}.get(language, language),
        public_base_url=public_base_url(),
        stylesheet=request.script_root + current_app.static_url_path + "/css/portal.css",
    )
    response = current_app.response_class(body, status=400, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app):
    """Apply the trusted proxies and hosts; call before any other extension registers request hooks."""
    app.wsgi_app = TrustedProxies(app.wsgi_app, app.config["TRUSTED_PROXY_HOPS"])
    app.before_request(_refuse_untrusted_host)
    app.register_error_handler(SecurityError, _untrusted_host_page)
    app.add_template_global(public_url)
    app.add_template_global(public_path_url)
