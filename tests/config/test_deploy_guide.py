"""Every command block of docs/deploy.md marked `<!-- checked: NAME -->` is run here, as written.

The blocks run in bash from the project folder, with the environment a node
would have (a real portal database, demo scoring data, an index folder).
Paths of the production layout (/srv/portal) are mapped to this checkout.
"""

import os
import re
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal.demo.generator import generate_scoring_db
from tests.conftest import IN_CI, PG_URL, require_postgresql

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "deploy.md"
_BLOCK = re.compile(r"<!-- checked: (?P<name>[\w-]+) -->\n```(?P<language>\w+)\n(?P<body>.*?)```", re.S)


def blocks():
    return {match["name"]: (match["language"], match["body"]) for match in _BLOCK.finditer(GUIDE.read_text())}


def run_block(name, env, replacements=None):
    language, body = blocks()[name]
    assert language == "sh", name
    for old, new in (replacements or {}).items():
        body = body.replace(old, new)
    completed = subprocess.run(["bash", "-euo", "pipefail", "-c", body], cwd=ROOT, env=env,
                               capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, f"{name}:\n{completed.stdout[-2000:]}\n{completed.stderr[-3000:]}"
    return completed.stdout


def count(url, table):
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.scalar(sa.text(f"SELECT count(*) FROM {table}"))
    finally:
        engine.dispose()


def node_environment(folder, portal_url, scoring_url):
    env = {key: value for key, value in os.environ.items() if key not in ("PORTAL_ENV", "SECRET_KEY")}
    env.update(
        PORTAL_DATABASE_URL=portal_url,
        SCORING_DATABASE_URL=scoring_url,
        INDEX_DIR=str(folder / "index"),
        JIEBA_CACHE_DIR=str(folder),
        EVIDENCE_DIR=str(folder / "evidence"),
        DOWNLOADS_DIR=str(folder / "downloads"),
    )
    return env


def install(env, folder):
    """The guide's first installation, with the first supervisor's password in a file of the test's."""
    password_file = folder / "first-password"
    password_file.write_text("a long Test password 2026\n")
    return run_block("install", env, {"/etc/portal/first-password": str(password_file)})


def test_every_checked_block_is_known():
    assert set(blocks()) == {
        "units", "catch-up", "install", "backup-postgresql", "restore-postgresql", "backup-sqlite", "rebuild",
        "production-env",
    }


def production_settings():
    """The guide's production environment file, as {variable: value}."""
    language, body = blocks()["production-env"]
    assert language == "ini"
    lines = [line for line in body.splitlines() if line.strip() and not line.startswith("#")]
    return dict(line.split("=", 1) for line in lines)


def test_the_production_example_starts_and_answers_for_its_own_address_only(tmp_path, monkeypatch):
    from cryptography.fernet import Fernet

    from portal import create_app

    settings = production_settings()
    assert settings["PORTAL_ENV"] == "production"
    assert {"PUBLIC_BASE_URL", "TRUSTED_HOSTS", "TRUSTED_PROXY_HOPS"} <= set(settings)
    # The secrets are placeholders to fill in; this machine has no PostgreSQL, Redis or /var/lib/portal.
    assert {name for name, value in settings.items() if value.startswith("<")} == {"SECRET_KEY", "COMPLAINT_CONTACT_KEY"}
    settings.update(
        SECRET_KEY=os.urandom(32).hex(),
        COMPLAINT_CONTACT_KEY=Fernet.generate_key().decode(),
        RATELIMIT_STORAGE_URI="memory://",
        **{name: value for name, value in node_environment(tmp_path, f"sqlite:///{tmp_path / 'p.db'}",
                                                             f"sqlite:///{tmp_path / 's.db'}").items()
           if name.endswith(("_URL", "_DIR"))},
    )
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    client = create_app().test_client()
    through_nginx = {"X-Forwarded-For": "192.0.2.1, 203.0.113.5", "X-Forwarded-Proto": "https"}
    for host, status in (("credit.example.gov.cn", 200), ("www.credit.example.gov.cn", 200), ("localhost", 400),
                         ("127.0.0.1:8000", 400), ("evil.example", 400)):
        response = client.get("/robots.txt", headers={"Host": host, **through_nginx})
        assert response.status_code == status, host
    response = client.get("/robots.txt", headers={"Host": "credit.example.gov.cn", **through_nginx})
    assert "Sitemap: https://credit.example.gov.cn/sitemap.xml" in response.get_data(as_text=True)
    assert "Strict-Transport-Security" in response.headers  # https, as nginx said

    monkeypatch.delenv("PUBLIC_BASE_URL")
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
        create_app()


def test_systemd_units_start_commands_that_exist():
    language, body = blocks()["units"]
    assert language == "ini"
    units = re.split(r"^# (/etc/systemd/system/\S+)\n", body, flags=re.M)[1:]
    assert len(units) == 4  # two (name, text) pairs
    for name, text in zip(units[::2], units[1::2]):
        exec_start = re.search(r"^ExecStart=(.*)$", text, re.M).group(1).replace("/srv/portal", str(ROOT))
        program, *arguments = exec_start.split()
        assert os.access(program, os.X_OK), f"{name}: {program} is not installed"
        if program.endswith("gunicorn"):
            check = subprocess.run([program, "--check-config", *arguments], cwd=ROOT, capture_output=True, text=True,
                                   timeout=120, env={**os.environ, "PORTAL_BIND": "127.0.0.1:0"})
        else:
            check = subprocess.run([program, *arguments, "--help"], cwd=ROOT, capture_output=True, text=True,
                                   timeout=120)
        assert check.returncode == 0, f"{name}: {check.stdout}\n{check.stderr}"
        for directive in ("User=portal", "EnvironmentFile=/etc/portal/portal.env", "Restart="):
            assert directive in text, f"{name} lacks {directive}"


def test_sqlite_node_install_catch_up_rebuild_and_backup(tmp_path):
    scoring_url = f"sqlite:///{tmp_path / 'scoring.db'}"
    generate_scoring_db(scoring_url, orgs=300, seed=2)
    portal_url = f"sqlite:///{tmp_path / 'portal.db'}"
    env = node_environment(tmp_path, portal_url, scoring_url)

    install(env, tmp_path)
    published = count(portal_url, "organisations WHERE is_published")
    assert published > 100
    assert count(portal_url, "staff_users") == 1

    shutil.rmtree(tmp_path / "index")  # a node that lost its index
    run_block("catch-up", env)
    status = run_block("rebuild", env).splitlines()
    # `search rebuild`, then `search status`: every published organisation, at the publication's version.
    assert re.fullmatch(rf"search index: {published} documents, version 1, built in [0-9.]+ s \(.+\)", status[0])
    assert status[1] == f"search index: {published} documents, version 1 (publication version 1: up to date)"

    backup = tmp_path / "backup.db"
    run_block("backup-sqlite", {**env, "BACKUP_FILE": str(backup)}, {"instance/portal.db": str(tmp_path / "portal.db")})
    assert count(f"sqlite:///{backup}", "organisations WHERE is_published") == published


@pytest.fixture
def postgresql_databases():
    """Two fresh PostgreSQL databases: the portal's, and one to restore into."""
    require_postgresql()
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        if IN_CI:
            pytest.fail("pg_dump and pg_restore are required in CI (Debian's postgresql-client)")
        pytest.skip("pg_dump is not installed")
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    names = [f"deploy_{uuid.uuid4().hex[:10]}", f"restore_{uuid.uuid4().hex[:10]}"]
    with admin.connect() as connection:
        for name in names:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    base = sa.engine.make_url(PG_URL)
    yield [base.set(database=name).render_as_string(hide_password=False) for name in names]
    with admin.connect() as connection:
        for name in names:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_postgresql_backup_and_restore(tmp_path, postgresql_databases):
    portal_url, restore_url = postgresql_databases
    scoring_url = f"sqlite:///{tmp_path / 'scoring.db'}"
    generate_scoring_db(scoring_url, orgs=300, seed=4)
    env = node_environment(tmp_path, portal_url, scoring_url)
    install(env, tmp_path)
    published = count(portal_url, "organisations WHERE is_published")

    libpq = {url: url.replace("postgresql+psycopg://", "postgresql://") for url in (portal_url, restore_url)}
    backup = tmp_path / "portal.dump"
    run_block("backup-postgresql", {**env, "BACKUP_FILE": str(backup), "PORTAL_DATABASE_LIBPQ_URL": libpq[portal_url]})
    assert backup.stat().st_size > 0
    restored_env = node_environment(tmp_path / "restored", restore_url, scoring_url)
    (tmp_path / "restored").mkdir()
    run_block("restore-postgresql", {**restored_env, "BACKUP_FILE": str(backup), "RESTORE_LIBPQ_URL": libpq[restore_url]})
    assert count(restore_url, "organisations WHERE is_published") == published
    assert count(restore_url, "publication_state") == 1
    # The restored node's index is built from the restored DB by the catch-up.
    run_block("catch-up", restored_env)
    from portal.search.index import index_version

    assert index_version(restored_env["INDEX_DIR"]) == 1
