"""``flask search ...``: rebuild, catch up and inspect this node's search index."""

import contextlib
import sys

import click
from flask import current_app
from flask.cli import AppGroup

from portal.extensions import db

# Each command imports portal.search.index itself: it takes seconds to import
# (jieba, pypinyin), which every other `flask` command should not pay.

search_cli = AppGroup("search", help="Build and inspect this node's search index.")


def _index_dir():
    return current_app.config["INDEX_DIR"]


def _jieba_cache_dir():
    return current_app.config["JIEBA_CACHE_DIR"]


def _megabytes(size_bytes):
    return f"{size_bytes / 1024 / 1024:.1f} MB"


@search_cli.command("rebuild")
@click.option("--procs", type=int, default=None, help="Indexing processes (default: 2 for a large index).")
def rebuild_command(procs):
    """Build a new index of the published organisations and swap it in."""
    from portal.search import index as search_index

    with contextlib.ExitStack() as stack:
        bar = None
        reported = 0

        def progress(done, total):
            nonlocal bar, reported
            if bar is None:
                bar = stack.enter_context(click.progressbar(length=max(total, 1), label="indexing", file=sys.stderr))
            bar.update(done - reported)
            reported = done

        summary = search_index.rebuild(
            _index_dir(), db.session, progress=progress, procs=procs, jieba_cache_dir=_jieba_cache_dir()
        )
    click.echo(
        f"search index: {summary['documents']} documents, version {summary['version']}, "
        f"built in {summary['seconds']:.1f} s ({_megabytes(summary['size_bytes'])})"
    )


@search_cli.command("catch-up")
def catch_up_command():
    """Re-index what changed since the index's version."""
    from portal.search import index as search_index

    summary = search_index.catch_up(_index_dir(), db.session, jieba_cache_dir=_jieba_cache_dir())
    if summary["action"] == "rebuild":
        click.echo(
            f"search index: rebuilt ({summary['reason']}): {summary['documents']} documents, "
            f"version {summary['version']}, {summary['seconds']:.1f} s"
        )
    elif summary["action"] == "none":
        click.echo(f"search index: already at version {summary['version']}")
    else:
        click.echo(
            f"search index: version {summary['from_version']} -> {summary['version']}, "
            f"{summary['deleted']} removed, {summary['added']} added in {summary['seconds']:.1f} s"
        )


@search_cli.command("status")
def status_command():
    """Show the index's documents, version, size and lag."""
    from portal.search import index as search_index

    status = search_index.index_status(_index_dir(), db.session)
    if not status["exists"]:
        click.echo(f"search index: none in {status['index_dir']} (run `flask search rebuild`)")
        raise SystemExit(1)
    behind = status["behind"]
    state = "up to date" if behind == 0 else (f"{behind} versions behind" if behind > 0 else "ahead of the database")
    if not status["schema_current"]:
        state += f", schema version {status['schema_version']} (rebuild needed)"
    click.echo(
        f"search index: {status['documents']} documents, version {status['version']} "
        f"(publication version {status['publication_version']}: {state})"
    )
    click.echo(f"  {status['path']}: {status['segments']} segments, {_megabytes(status['size_bytes'])}")
    click.echo(f"  built {status['built_at']}, updated {status['updated_at']}")
