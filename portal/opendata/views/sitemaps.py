"""Findability: sitemap.xml, its parts, and robots.txt."""

import os
import re

from flask import current_app, make_response, send_from_directory
from flask_babel import gettext as _

from portal.opendata import sitemap
from portal.opendata.views.blueprint import bp, url_without_lang
from portal.origin import public_base_url
from portal.web import abort_with_message, current_publication

_SITEMAP_NAME = re.compile(r"orgs-([1-9][0-9]{0,5})")


def _sitemap_state():
    """Return (state, number of organisation sitemaps) of the current publication."""
    publication = current_publication()
    if publication is None:
        abort_with_message(503, _("Information on the published data is temporarily unavailable."))
    chunks = max(1, -(-publication.published_count // sitemap.chunk_size()))
    return (publication.version, publication.data_as_of), chunks


def _send_sitemap(path):
    response = send_from_directory(
        os.path.dirname(path), os.path.basename(path), mimetype="application/xml", conditional=True, etag=True, max_age=0
    )
    response.headers["Content-Type"] = "application/xml; charset=utf-8"
    return response


@bp.get("/sitemap.xml")
def sitemap_index():
    state, chunks = _sitemap_state()
    base = public_base_url()
    urls = [url_without_lang("opendata.sitemap_part", name="pages")]
    urls += [url_without_lang("opendata.sitemap_part", name=f"orgs-{number}") for number in range(1, chunks + 1)]
    lastmod = sitemap.w3c_time(state[1])
    path = sitemap.cached_file(state, base, "index.xml", lambda handle: sitemap.write_index(handle, urls, lastmod))
    return _send_sitemap(path)


@bp.get("/sitemaps/<name>.xml", endpoint="sitemap_part")
def sitemap_part(name):
    state, chunks = _sitemap_state()
    base = public_base_url()
    lastmod = sitemap.w3c_time(state[1])
    if name == "pages":
        pages = [
            (url_without_lang(endpoint), changefreq)
            for endpoint, changefreq in sitemap.PAGES
            if endpoint in current_app.view_functions
        ]
        path = sitemap.cached_file(state, base, "pages.xml", lambda handle: sitemap.write_pages(handle, pages, lastmod))
        return _send_sitemap(path)
    match = _SITEMAP_NAME.fullmatch(name)
    if match is None or int(match.group(1)) > chunks:
        abort_with_message(404, _("There is no sitemap of that name."))
    number = int(match.group(1))
    prefix = url_without_lang("orgs.report", uscc="X")[:-1]
    path = sitemap.cached_file(
        state, base, f"orgs-{number}.xml", lambda handle: sitemap.write_organisations(handle, prefix, number)
    )
    return _send_sitemap(path)


@bp.get("/robots.txt")
def robots():
    response = make_response(sitemap.robots_txt(url_without_lang("opendata.sitemap_index")))
    response.mimetype = "text/plain"
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
