"""Where a request comes from, decided by configuration, not by headers.

The client's address is the one the trusted reverse proxies vouch for
(``TRUSTED_PROXY_HOPS``, applied by werkzeug's ProxyFix); every forwarded
header is removed from the request afterwards, so no code and no library can
read a value the client made up. Rate limits, sign-in throttling, staff
sessions and logs take it from ``client_address()``.
"""

import ipaddress

from flask import has_request_context, request
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


def init_app(app):
    """Apply the trusted proxies to every request."""
    app.wsgi_app = TrustedProxies(app.wsgi_app, app.config["TRUSTED_PROXY_HOPS"])
