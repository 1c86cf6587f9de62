"""An optional read replica: the reads of GET requests go there, every write to the primary."""

from datetime import datetime

import pytest
import sqlalchemy as sa
from flask import jsonify

from portal import create_app
from portal.extensions import REPLICA_ENGINE, db
from portal.publication.models import PublicationState
from portal.publication.state import read_publication
from portal.sync.models import SyncRun
from tests.conftest import PostgresSchema, require_postgresql


@pytest.fixture
def replica_app(backend, tmp_path, scoring_url):
    """An app whose primary and 'replica' are two separate databases, told apart by their contents."""
    schemas = []
    if backend == "postgresql":
        require_postgresql()
        schemas = [PostgresSchema("primary"), PostgresSchema("replica")]
        primary_url, replica_url = (schema.url for schema in schemas)
    else:
        primary_url, replica_url = f"sqlite:///{tmp_path / 'primary.db'}", f"sqlite:///{tmp_path / 'replica.db'}"
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": primary_url,
            "PORTAL_DATABASE_REPLICA_URL": replica_url,
            "SCORING_DATABASE_URL": scoring_url,
            "INDEX_DIR": str(tmp_path / "index"),
            "PAGE_CACHE_SIZE": 0,
            "WTF_CSRF_ENABLED": False,
        }
    )

    @app.route("/_test/runs", methods=["GET", "POST"])
    def runs():
        # A GET counts runs (a read); a POST records one (a write), then counts in the same session.
        from flask import request

        if request.method == "POST":
            db.session.add(SyncRun(started_at=datetime(2026, 11, 1), mode="full", trigger="test", status="failed"))
            db.session.commit()
        return jsonify(runs=db.session.scalar(sa.select(sa.func.count()).select_from(SyncRun)))

    with app.app_context():
        db.create_all()
        db.metadata.create_all(app.extensions[REPLICA_ENGINE])
        db.session.add(PublicationState(id=1, version=1, data_as_of=datetime(2026, 11, 1), published_count=1))
        db.session.commit()
        with app.extensions[REPLICA_ENGINE].begin() as connection:
            connection.execute(
                sa.insert(PublicationState),
                [{"id": 1, "version": 7, "data_as_of": datetime(2026, 11, 7), "published_count": 7}],
            )
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    app.extensions[REPLICA_ENGINE].dispose()
    for schema in schemas:
        schema.drop()


def test_get_requests_read_from_the_replica(replica_app):
    client = replica_app.test_client()
    assert client.get("/healthz").get_json()["publication_version"] == 7
    assert client.get("/_test/runs").get_json() == {"runs": 0}


def test_writes_and_post_requests_go_to_the_primary(replica_app):
    client = replica_app.test_client()
    assert client.post("/_test/runs").get_json() == {"runs": 1}
    assert client.post("/_test/runs").get_json() == {"runs": 2}
    # The replica has not seen them (no replication between these two test databases).
    assert client.get("/_test/runs").get_json() == {"runs": 0}
    with replica_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SyncRun)) == 2


def test_the_sync_and_the_cli_read_the_primary(replica_app):
    with replica_app.app_context():
        assert read_publication().version == 1
