"""sitemap.xml (a sitemap index with chunks of published organisations) and robots.txt.

Chunks are written to files by streaming rows from the database, once per
publication state and site address, and then served as static files: a
crawler asking for 18 chunks at 900,000 organisations costs 18 queries per
sync, not per request, and no chunk is ever held in memory.
"""

import hashlib
import os
import shutil
import uuid
from xml.sax.saxutils import escape

from flask import current_app
from sqlalchemy import func, select

from portal.characters import xml_text
from portal.extensions import db
from portal.opendata.downloads import SITEMAPS_FOLDER
from portal.publication.models import Organisation
from portal.publication.state import PUBLISHED
from portal.sync.models import RUN_SUCCEEDED, SyncRun

#: The most URLs one sitemap may list (sitemaps.org).
MAX_URLS_PER_SITEMAP = 50_000

_HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n'
_URLSET = '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
_INDEX = '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'

#: Public pages listed in the sitemap, if this process serves them: endpoint -> change frequency.
PAGES = (
    ("orgs.home", "daily"),
    ("orgs.list", "daily"),
    ("orgs.changes", "daily"),
    ("rules.methodology", "monthly"),
    ("orgs.about", "monthly"),
    ("opendata.data", "daily"),
    ("opendata.batch", "monthly"),
    ("stats.index", "daily"),
)


def w3c_time(value):
    return value.isoformat(timespec="seconds") + "Z" if value is not None else None


def chunk_size():
    return min(current_app.config["SITEMAP_CHUNK_SIZE"], MAX_URLS_PER_SITEMAP)


def version_times():
    """Return {publication version: when it was published} from the successful runs."""
    rows = db.session.execute(
        select(SyncRun.publication_version, func.min(SyncRun.finished_at))
        .where(SyncRun.status == RUN_SUCCEEDED, SyncRun.publication_version.is_not(None))
        .group_by(SyncRun.publication_version)
    )
    return dict(rows.all())


def _xml(text):
    """Escape ``text`` for XML, without the characters XML cannot carry."""
    return escape(xml_text(text))


def _url(location, lastmod=None, changefreq=None):
    parts = [f"<url><loc>{_xml(location)}</loc>"]
    if lastmod:
        parts.append(f"<lastmod>{lastmod}</lastmod>")
    if changefreq:
        parts.append(f"<changefreq>{changefreq}</changefreq>")
    parts.append("</url>\n")
    return "".join(parts)


def write_index(handle, sitemap_urls, lastmod):
    handle.write(_HEADER + _INDEX)
    for location in sitemap_urls:
        handle.write(f"<sitemap><loc>{_xml(location)}</loc>")
        if lastmod:
            handle.write(f"<lastmod>{lastmod}</lastmod>")
        handle.write("</sitemap>\n")
    handle.write("</sitemapindex>\n")


def write_pages(handle, page_urls, lastmod):
    handle.write(_HEADER + _URLSET)
    for location, changefreq in page_urls:
        handle.write(_url(location, lastmod, changefreq))
    handle.write("</urlset>\n")


def write_organisations(handle, report_url_prefix, number):
    """Write chunk ``number`` (from 1) of the published organisations, in USCC order, streaming."""
    size = chunk_size()
    times = {version: w3c_time(moment) for version, moment in version_times().items()}
    statement = (
        select(Organisation.uscc, Organisation.changed_in_version, Organisation.published_since)
        .where(PUBLISHED)
        .order_by(Organisation.uscc)
        .limit(size)
        .offset((number - 1) * size)
    )
    handle.write(_HEADER + _URLSET)
    result = db.session.execute(statement, execution_options={"stream_results": True, "yield_per": 2000})
    for partition in result.partitions():
        lines = []
        for uscc, version, published_since in partition:
            # The last sync that changed the organisation's row; at least its publication.
            lastmod = times.get(version) or w3c_time(published_since)
            lines.append(_url(report_url_prefix + uscc, lastmod))
        handle.write("".join(lines))
    handle.write("</urlset>\n")


def cached_file(state, base_url, name, write):
    """Return the path of sitemap file ``name`` for this publication state and site, writing it if needed.

    ``write(handle)`` writes the file's text. Files of other states are removed
    once a file of the new state is written.
    """
    root = os.path.join(current_app.config["DOWNLOADS_DIR"], SITEMAPS_FOLDER)
    key = hashlib.sha256(repr((state, base_url)).encode()).hexdigest()[:16]
    folder = os.path.join(root, key)
    path = os.path.join(folder, name)
    if os.path.isfile(path):
        return path
    fresh = not os.path.isdir(folder)
    os.makedirs(folder, exist_ok=True)
    temporary = f"{path}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        with open(temporary, "w", encoding="utf-8") as handle:
            write(handle)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
    if fresh:
        for entry in os.scandir(root):
            if entry.is_dir() and entry.name != key:
                shutil.rmtree(entry.path, ignore_errors=True)
    return path


#: The search page's parameters that make another page of the same query (portal/search/views.py).
SEARCH_VARIANT_PARAMETERS = ("page", "sort", "grade", "type", "district", "evaluation", "large")

ROBOTS_DISALLOW = (
    # Private or per-person pages.
    "/staff",
    "/complaints/",
    "/lang/",
    # Endless combinations of parameters: the sitemap lists every report instead. A search for one
    # query (/search?q=..., in either language) may be crawled, as a citizen would find it; its pages,
    # sorts, filters and large-text switch may not, nor its CSV and suggestions.
    *(f"/search?*{parameter}=" for parameter in SEARCH_VARIANT_PARAMETERS),
    "/search.csv",
    "/search/",
    "/orgs?",
    "/changes?",
    # Generated on request, each one recorded: crawlers would fill the register of issued reports.
    "/org/*/report.pdf",
    "/verify/",
    "/healthz",
)


def robots_txt(sitemap_url):
    lines = ["User-agent: *", "Allow: /"]
    lines += [f"Disallow: {path}" for path in ROBOTS_DISALLOW]
    lines += ["", f"Sitemap: {sitemap_url}", ""]
    return "\n".join(lines)
