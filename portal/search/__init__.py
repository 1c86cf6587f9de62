"""Organisation search: the Whoosh index (``index``), its schema and text analysis.

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
    """Close each request's searcher on teardown and register ``flask search``."""
    app.teardown_appcontext(close_request_searcher)
    app.cli.add_command(search_cli)
