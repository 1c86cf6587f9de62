"""The reconciliation service (/api/reconcile): lists of names matched to published organisations.

Journalists and researchers clean lists of organisation names in OpenRefine;
this service, which follows the W3C Entity Reconciliation Service API as
OpenRefine uses it, matches each name to a published organisation's code,
and adds its grade, score and report address. ``protocol`` checks what a
client sends, ``service`` finds and scores candidates (from the search
engine), ``views`` speaks HTTP (JSON, JSONP, CORS, the preview card).
"""


def init_app(app):
    from portal.extensions import csrf
    from portal.reconcile.views import bp

    # Posted by OpenRefine from another origin, with no cookie or session: nothing for CSRF to protect.
    csrf.exempt(bp)
    app.register_blueprint(bp)
