"""Rendered public pages, cached in each process for one publication version.

A public page depends only on its URL, its language and the published data
(absolute URLs in it come from PUBLIC_BASE_URL, never from the request).
The data changes only when a sync commits, which moves the publication
version (or, for "data as of", its time), so a page rendered for one state
can be served again until the state moves, and never after: the cache is
emptied the moment a request sees a new state. Pages are also given an ETag
of that state, so a browser or proxy revalidates with a 304.
"""

import hashlib
import threading
from collections import OrderedDict
from functools import wraps

from flask import current_app, make_response, request
from flask_babel import get_locale

from portal import large_text
from portal.clock import local_today
from portal.web import current_publication


class PageCache:
    """A bounded least-recently-used map of rendered pages for one publication state."""

    def __init__(self):
        self.lock = threading.Lock()
        self.state = None
        self.pages = OrderedDict()

    def get(self, state, key):
        with self.lock:
            if state != self.state:
                self.state = state
                self.pages.clear()
                return None
            page = self.pages.get(key)
            if page is not None:
                self.pages.move_to_end(key)
            return page

    def put(self, state, key, page, max_entries):
        with self.lock:
            if state != self.state:
                return
            self.pages[key] = page
            self.pages.move_to_end(key)
            while len(self.pages) > max_entries:
                self.pages.popitem(last=False)


def cached_page(view=None, *, usable=None):
    """Serve a public GET view from the page cache of the current publication state.

    ``usable(publication)``, if given, says whether the page may be served
    from or stored in the cache now (the search page: only while this node's
    index has caught up with the publication).
    """
    if view is None:
        return lambda view: cached_page(view, usable=usable)

    @wraps(view)
    def wrapper(*args, **kwargs):
        publication = current_publication()
        max_entries = current_app.config["PAGE_CACHE_SIZE"]
        if publication is None or request.method != "GET":
            return view(*args, **kwargs)
        if usable is not None and not usable(publication):
            return view(*args, **kwargs)
        # The calendar day too: minus items leave the public report when their display
        # window ends (portal.rules.windows), at midnight in Beijing, whether or not a sync ran.
        state = (publication.version, publication.data_as_of, local_today(current_app.config["BABEL_DEFAULT_TIMEZONE"]))
        # Absolute URLs come from PUBLIC_BASE_URL and an untrusted Host never reaches a view
        # (portal.origin), so a page does not depend on the Host; keying by it anyway means a page
        # built under one name can never be served under another.
        key = (request.host, request.script_root, str(get_locale()), large_text.is_on(), request.full_path)
        etag = hashlib.sha256(repr((state, key)).encode()).hexdigest()[:32]
        if etag in request.if_none_match:
            response = current_app.response_class(status=304)
            response.set_etag(etag)
            return response
        cache = current_app.extensions.setdefault("page_cache", PageCache())
        page = cache.get(state, key) if max_entries else None
        if page is None:
            response = make_response(view(*args, **kwargs))
            if response.status_code != 200 or response.direct_passthrough or not max_entries:
                response.set_etag(etag)
                return response
            page = (response.get_data(), response.mimetype)
            cache.put(state, key, page, max_entries)
        response = current_app.response_class(page[0], mimetype=page[1])
        response.set_etag(etag)
        return response

    return wrapper
