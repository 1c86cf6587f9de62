"""Open data: bulk downloads, Atom feeds, the batch check, sitemap.xml and robots.txt."""


def init_app(app):
    from portal.opendata import downloads, views
    from portal.opendata.cli import opendata_cli
    from portal.publication.state import after_publication

    after_publication(app, downloads.export_after_sync)
    app.cli.add_command(opendata_cli)
    app.register_blueprint(views.bp)
