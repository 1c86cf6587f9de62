"""The migrations build the same schema as the models, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from portal import create_app
from portal.extensions import db


def test_migrations_match_the_models(database_urls, tmp_path):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_urls[0], "INDEX_DIR": str(tmp_path)})
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, db.metadata) == []
        downgrade(revision="base")
        upgrade()
        db.engine.dispose()


def test_migrations_never_touch_the_scoring_tables(database_urls, tmp_path):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_urls[0], "INDEX_DIR": str(tmp_path)})
    with app.app_context():
        upgrade()
        names = set(db.inspect(db.engine).get_table_names())
        db.engine.dispose()
    assert "credit_scores" not in names  # a scoring-database table, never created in the portal DB
    assert {"organisations", "sync_runs", "publication_state"} <= names
