"""Public credit-information disclosure portal for social organisations."""

import os

from flask import Flask

from portal import config as portal_config
from portal import database, origin, site_identity
from portal.extensions import csrf, db, limiter, migrate


def create_app(test_config=None):
    """Create the portal application. Opens no database connection and no index."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder="../templates",
        static_folder="../static",
    )
    app.config.from_mapping(portal_config.defaults(app.instance_path))
    if test_config is None:
        app.config.from_pyfile("portal.cfg", silent=True)
    else:
        app.config.from_mapping(test_config)
    portal_config.check_production(app.config)
    portal_config.complete(app.config)
    portal_config.init_app(app)
    os.makedirs(app.instance_path, exist_ok=True)
    # A path with "//" is not redirected to its merged form: werkzeug's redirect is an HTML 308 that no
    # error handler sees (so the JSON API could not answer it in its own shape); it is a plain 404.
    app.url_map.merge_slashes = False

    # First: an untrusted Host is refused before any other request hook runs.
    origin.init_app(app)

    db.init_app(app)
    database.init_app(app)
    migrate.init_app(app, db, render_as_batch=True, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)

    from portal import (  # noqa: F401
        api,
        badges,
        complaints,
        demo,
        feedback,
        follow,
        i18n,
        large_text,
        models,
        opendata,
        orgs,
        reconcile,
        reports,
        rules,
        scheduler,
        search,
        staff,
        stats,
        sync,
        web,
    )

    web.init_app(app)
    site_identity.init_app(app)
    i18n.init_app(app)
    large_text.init_app(app)
    search.init_app(app)
    sync.init_app(app)
    orgs.init_app(app)
    rules.init_app(app)
    complaints.init_app(app)
    feedback.init_app(app)
    follow.init_app(app)
    staff.init_app(app)
    api.init_app(app)
    badges.init_app(app)
    opendata.init_app(app)
    reconcile.init_app(app)
    reports.init_app(app)
    stats.init_app(app)
    demo.init_app(app)
    scheduler.init_app(app)
    return app
