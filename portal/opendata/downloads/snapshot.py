"""The published list read once, in chunks, from one snapshot of the portal database."""

from contextlib import contextmanager

from sqlalchemy import String, select, type_coerce

from portal.extensions import db
from portal.publication.models import Organisation, PublicationState
from portal.publication.state import PUBLISHED

# Dates, times and the score are read without SQLAlchemy's result processing
# (as the driver returns them: ISO strings on SQLite, date objects on
# PostgreSQL) and formatted here, through caches: most rows share a handful
# of publication times and a few thousand dates. It halves the export time.
_SELECTED = (
    Organisation.uscc,
    Organisation.name,
    Organisation.grade,
    type_coerce(Organisation.score, String),
    Organisation.org_type,
    Organisation.district_code,
    Organisation.evaluation_level,
    type_coerce(Organisation.evaluation_valid_until, String),
    Organisation.registration_authority,
    type_coerce(Organisation.registered_on, String),
    type_coerce(Organisation.published_since, String),
)


@contextmanager
def publication_snapshot(chunk_size):
    """Yield (state, rows): the publication state and an iterator of published rows, from one snapshot.

    ``state`` is (version, data_as_of, last_run_id) or None before the first sync; rows
    are tuples of ``_SELECTED`` in USCC order, fetched ``chunk_size`` at a time.
    """
    engine = db.engine
    options = {}
    if engine.dialect.name == "postgresql":
        # READ COMMITTED would give each statement its own snapshot.
        options = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
    with engine.connect() as connection:
        connection = connection.execution_options(**options)
        with connection.begin():
            # On SQLite the first SELECT starts the read snapshot the rows come from.
            state = connection.execute(
                select(PublicationState.version, PublicationState.data_as_of, PublicationState.last_run_id).where(
                    PublicationState.id == 1
                )
            ).first()
            result = connection.execution_options(stream_results=True, yield_per=chunk_size).execute(
                select(*_SELECTED).where(PUBLISHED).order_by(Organisation.uscc)
            )
            try:
                yield (tuple(state) if state else None), result
            finally:
                result.close()
