"""Open data: bulk downloads, Atom feeds, the batch check, sitemap.xml and robots.txt."""

import os


def init_app(app):
    from portal.opendata import downloads, views
    from portal.opendata.cli import opendata_cli
    from portal.publication.state import after_publication

    # Where the CSV/JSONL exports and cached sitemaps are written; nginx may serve DOWNLOADS_DIR/current/.
    app.config.setdefault(
        "DOWNLOADS_DIR", os.environ.get("DOWNLOADS_DIR", os.path.join(app.instance_path, "downloads"))
    )
    # Rows fetched from the database per chunk while exporting (memory is flat in the list's size).
    app.config.setdefault("DOWNLOADS_CHUNK_SIZE", 5000)
    # Regenerate the downloads after each successful sync (the CLI does it on demand).
    app.config.setdefault("DOWNLOADS_AFTER_SYNC", True)
    # Entries in an Atom feed (the most recent first).
    app.config.setdefault("FEED_ENTRIES", 100)
    # URLs per organisation sitemap; sitemaps.org allows at most 50,000.
    app.config.setdefault("SITEMAP_CHUNK_SIZE", 50_000)
    # Batch checks a visitor may submit (Flask-Limiter syntax); no CAPTCHA, so this is the brake.
    app.config.setdefault("BATCH_RATE_LIMIT", os.environ.get("BATCH_RATE_LIMIT", "30 per hour;100 per day"))
    # Largest batch file accepted, in bytes (5,000 rows of codes are far below it).
    app.config.setdefault("BATCH_MAX_BYTES", 5 * 1024 * 1024)

    after_publication(app, downloads.export_after_sync)
    app.cli.add_command(opendata_cli)
    app.register_blueprint(views.bp)
