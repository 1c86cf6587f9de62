"""The portal database goes away and comes back: friendly 503s, then recovery without a restart."""

import pytest
import sqlalchemy as sa

from portal import create_app
from portal.extensions import db
from tests.conftest import PG_URL, PostgresSchema, require_postgresql
from tests.fault.netfaults import LoopbackProxy


@pytest.fixture
def proxied_app(tmp_path, scoring_url):
    require_postgresql()
    schema = PostgresSchema("outage")
    target_port = sa.engine.make_url(PG_URL).port or 5432
    proxy = LoopbackProxy(target_port)
    url = str(sa.engine.make_url(schema.url).set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False))
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": url,
            "SCORING_DATABASE_URL": scoring_url,
            "INDEX_DIR": str(tmp_path / "index"),
            "PAGE_CACHE_SIZE": 0,
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        db.create_all()
    yield app, proxy
    proxy.close()
    with app.app_context():
        db.engine.dispose()
    schema.drop()


def test_pages_answer_503_with_retry_after_while_the_database_is_down_and_recover(proxied_app, caplog):
    app, proxy = proxied_app
    client = app.test_client()
    assert client.get("/orgs?lang=en").status_code == 200

    proxy.cut()
    for path in ("/orgs?lang=en", "/?lang=en", "/orgs?lang=zh"):
        response = client.get(path)
        assert response.status_code == 503, path
        assert response.headers["Retry-After"] == "30"
        assert response.headers["Cache-Control"] == "no-store"
        body = response.get_data(as_text=True)
        assert "Traceback" not in body and "OperationalError" not in body and "psycopg" not in body
        assert ("Service temporarily unavailable" in body) or ("服务暂时不可用" in body)
    assert client.get("/healthz").status_code == 503

    proxy.restore()
    # The pool drops its broken connections by itself: at most one more 503, then pages again.
    statuses = [client.get("/orgs?lang=en").status_code for _ in range(3)]
    assert statuses[-1] == 200 and statuses[-2] == 200
    assert client.get("/healthz").status_code in (200, 503)  # 503 only means: no sync yet


def test_an_unreachable_sqlite_file_gives_503_not_500(tmp_path, scoring_url):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/folder/portal.db",
            "SCORING_DATABASE_URL": scoring_url,
            "INDEX_DIR": str(tmp_path / "index"),
            "PAGE_CACHE_SIZE": 0,
        }
    )
    response = app.test_client().get("/orgs?lang=en")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert "Service temporarily unavailable" in response.get_data(as_text=True)
