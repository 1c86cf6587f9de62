"""Open data pages: /data (bulk downloads), Atom feeds, /batch, sitemap.xml and robots.txt.

``blueprint`` holds the blueprint and what its pages share; the other modules
hold the pages, one area each.
"""

# The page modules register their routes on the blueprint when imported.
from portal.opendata.views import batch, data, feeds, sitemaps  # noqa: F401
from portal.opendata.views.blueprint import bp

__all__ = ["bp"]
