"""Extensions, created unbound and bound to the app in ``create_app``."""

import time

from flask import current_app, has_request_context, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as FlaskSession
from flask_wtf.csrf import CSRFProtect
from limits.storage import MemoryStorage
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql import Select

from portal.origin import rate_limit_key


class Base(DeclarativeBase):
    pass


#: Where init_app keeps the engine of the optional read replica (config PORTAL_DATABASE_REPLICA_URL).
REPLICA_ENGINE = "portal.replica_engine"
_READ_METHODS = frozenset(("GET", "HEAD"))


class ReplicaRoutingSession(FlaskSession):
    """Send the SELECTs of GET and HEAD requests to the read replica, when one is configured.

    Everything else goes to the primary: flushes, INSERT/UPDATE/DELETE, every
    statement outside a request (the sync, the CLI, the scheduler) and every
    statement of a POST. A GET that writes (an issued report's record) flushes
    to the primary; what it reads back later in the same request may lag by
    the replica's delay, which is seconds.
    """

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if (
            bind is None
            and not self._flushing
            and isinstance(clause, Select)
            and has_request_context()
            and request.method in _READ_METHODS
        ):
            replica = current_app.extensions.get(REPLICA_ENGINE)
            if replica is not None:
                return replica
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


db = SQLAlchemy(model_class=Base, session_options={"class_": ReplicaRoutingSession})
migrate = Migrate()
babel = Babel()
csrf = CSRFProtect()


class SweptMemoryStorage(MemoryStorage):
    """The rate limits' ``memory://`` storage, without a thread per request.

    limits' MemoryStorage starts a 10 ms timer thread, to drop expired
    counters, whenever the previous one has ended: under load that is a new
    thread for a large share of the rate-limited requests (measured on the
    cached PDF: 792 threads for 2,000 requests, a quarter of the request's
    time). Expired counters are dropped when read anyway; this storage sweeps
    the rest in the request, at most once a second, so memory stays bounded
    without threads. Defining it registers it for the ``memory`` scheme.
    """

    STORAGE_SCHEME = ["memory"]
    SWEEP_SECONDS = 1.0
    _next_sweep = 0.0

    def _MemoryStorage__schedule_expiry(self):
        now = time.monotonic()
        if now >= self._next_sweep:
            self._next_sweep = now + self.SWEEP_SECONDS
            self._MemoryStorage__expire_events()


# Buckets per client (its address through the trusted proxies only; see portal.origin).
limiter = Limiter(key_func=rate_limit_key)
login = LoginManager()
