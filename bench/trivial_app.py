"""The portal with one extra route, ``/bench-trivial``, for ``bench/pages.py`` only.

``gunicorn -c gunicorn.conf.py bench.trivial_app:app`` serves every page of
the portal exactly as ``wsgi:app`` does, with the same configuration,
extensions and after-request hooks, plus a route that returns "ok" and does
nothing else: the ceiling every page is measured against.
"""

from portal import create_app

app = create_app()


@app.get("/bench-trivial")
def bench_trivial():
    """Return "ok": no database, no template, no index."""
    return "ok"
