"""Organisation search, in four parts, each importing only those before it:

- schema and analysis: ``schema``, ``analysis``, ``synonyms`` (what is indexed, how text is cut);
- writer: ``documents`` (rows of the portal DB as documents), ``generations``
  (the index folder and its lock), ``writer`` (rebuild, catch-up), and
  ``index``, the entry point others use (it also opens searchers);
- query: ``query`` (what was typed -> terms), ``postings``, ``bitmaps`` and
  ``docsets`` (sets of documents), ``matcher`` (tiers), ``hits``,
  ``results`` and ``service`` (a page of results with facets);
- suggestions: ``suggestions`` (autocomplete's best matches, "did you mean").

The pages (``views``: /search and /search/suggest) call ``service``. Web
workers only read, through ``index.get_searcher()``; the scheduler process
writes, through ``index.catch_up()`` after each sync; ``flask search
rebuild`` builds from scratch.

Importing ``portal.search.index`` loads jieba's analysers and pypinyin's
dictionaries (about 2 s), so this module and the CLI import it only when
search is actually used, not in every ``create_app``.
"""

from flask import g

from portal.search.cli import search_cli

SEARCHER_KEY = "search_searcher"


def close_request_searcher(_exception=None):
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
