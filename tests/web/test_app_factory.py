import pytest

from portal import create_app


def test_config_from_test_mapping(app):
    assert app.testing
    assert app.config["SECRET_KEY"] == "test"


def test_production_refuses_development_secret(monkeypatch):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"TESTING": True})
