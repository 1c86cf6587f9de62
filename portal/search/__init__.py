"""Organisation search: the Whoosh index (``index``), its schema and text analysis.

The pages (``views``: /search and /search/suggest) call ``service``, which
answers a query from bitmaps of the index's postings (``docsets``).
Web workers only read, through ``index.get_searcher()``; the scheduler
process writes, through ``index.catch_up()`` after each sync; ``flask search
rebuild`` builds from scratch.

Importing ``portal.search.index`` loads jieba's analysers and pypinyin's
dictionaries (about 2 s), so this module and the CLI import it only when
search is actually used, not in every ``create_app``.
"""

from flask import g

from portal.search.cli import search_cli

SEARCHER_KEY = "search_searcher"


def close_request_searcher(exception=None):
    """Close the searcher a request opened, if any."""
    searcher = g.pop(SEARCHER_KEY, None)
    if searcher is not None:
        searcher.close()


def init_app(app):
    """Register the search pages, close each request's searcher on teardown, add ``flask search``."""
    from portal.search.views import bp

    app.teardown_appcontext(close_request_searcher)
    app.cli.add_command(search_cli)
    app.register_blueprint(bp)
