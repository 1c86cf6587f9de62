"""Two nodes on loopback sharing one PostgreSQL portal database and one Redis.

Each node runs what a production node runs: gunicorn with gunicorn.conf.py on
its own port, its own `flask scheduler run`, and its own index folder. The
test checks what a deployment of several nodes relies on:

- both schedulers fire (started with --sync-now, not at a wall-clock minute), and exactly one sync applies;
- both indexes catch up to the same publication version (the per-node catch-up job);
- rate limits are counted once across nodes (Flask-Limiter on Redis);
- a staff session opened on one node works on the other;
- a node killed in the middle of a sync does not stop the other node's next run.
"""

import http.cookiejar
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from portal.demo.generator import advance_night, generate_scoring_db
from tests.conftest import IN_CI, PostgresSchema, require_postgresql

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
YOUTH_FOUNDATION = "北京市青少年发展基金会"


def require_redis():
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError:
        if IN_CI:
            pytest.fail(f"Redis is required in CI but {REDIS_URL} is unreachable")
        pytest.skip("Redis is not available on this machine")


def free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url, timeout=10):
    """Return (status, headers, body) of a GET, without raising on 4xx/5xx."""
    request = urllib.request.Request(url, headers={"Accept-Language": "en"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


class Node:
    """One node: gunicorn and a scheduler, with their own index folder and port."""

    def __init__(self, name, folder, env):
        self.name = name
        self.folder = folder
        self.folder.mkdir()
        self.env = {
            **env,
            "INDEX_DIR": str(folder / "index"),
            "JIEBA_CACHE_DIR": str(folder),
            "PORTAL_BIND": f"127.0.0.1:{free_port()}",
            "WEB_CONCURRENCY": "2",
        }
        self.base_url = "http://" + self.env["PORTAL_BIND"]
        self.processes = []

    def start(self):
        for role, command in (
            ("web", [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"]),
            # --sync-now: each scheduler runs the sync job as it starts, as SYNC_CRON would each night.
            ("scheduler", [str(BIN / "flask"), "--app", "app", "scheduler", "run", "--sync-now"]),
        ):
            log = open(self.folder / f"{role}.log", "ab")
            self.processes.append(
                subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                 start_new_session=True)
            )
            log.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                status, _, _ = get(self.base_url + "/healthz", timeout=2)
                if status in (200, 503):  # 503: up, but nothing published yet
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.3)
        raise AssertionError(f"node {self.name} did not start:\n{self.logs()}")

    def flask(self, *arguments, timeout=300):
        return subprocess.run([str(BIN / "flask"), "--app", "app", *arguments], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, timeout=timeout)

    def index_version(self):
        from portal.search.index import index_version

        return index_version(self.env["INDEX_DIR"])

    def logs(self):
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}" for path in sorted(self.folder.glob("*.log"))
        )

    def stop(self):
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(25)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)


@pytest.fixture
def cluster(tmp_path):
    require_postgresql()
    require_redis()
    portal_schema, scoring_schema = PostgresSchema("node_portal"), PostgresSchema("node_scoring")
    scoring_engine = sa.create_engine(scoring_schema.url)
    generate_scoring_db(scoring_engine, orgs=400, seed=3)
    shared = {
        **os.environ,
        "PORTAL_DATABASE_URL": portal_schema.url,
        "SCORING_DATABASE_URL": scoring_schema.url,
        "SECRET_KEY": "multi-node-test-secret",
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        "SEARCH_SUGGEST_RATE_LIMIT": "6 per minute",
        "SYNC_TIMEZONE": "UTC",
        # Never during the test: the runs come from --sync-now.
        "SYNC_CRON": "0 0 1 1 *",
        "SYNC_LOCK_WAIT_SECONDS": "1",
        "INDEX_CATCH_UP_SECONDS": "2",
        "WEB_ACCESS_LOG": "/dev/null",
        # Evidence on shared storage (a folder every node mounts; here the same folder), one key for all.
        "EVIDENCE_DIR": str(tmp_path / "shared-evidence"),
        "COMPLAINT_CONTACT_KEY": Fernet.generate_key().decode(),
        "COMPLAINT_MIN_FILL_SECONDS": "1",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }
    shared.pop("PORTAL_ENV", None)
    nodes = [Node(name, tmp_path / name, shared) for name in ("node-a", "node-b")]
    migrated = nodes[0].flask("db", "upgrade")
    assert migrated.returncode == 0, migrated.stderr
    try:
        for node in nodes:
            node.start()
        yield nodes, portal_schema, scoring_engine
    finally:
        for node in nodes:
            node.stop()
        scoring_engine.dispose()
        portal_schema.drop()
        scoring_schema.drop()


def portal_rows(portal_schema, sql):
    engine = sa.create_engine(portal_schema.url)
    try:
        with engine.connect() as connection:
            return connection.execute(sa.text(sql)).all()
    finally:
        engine.dispose()


def wait_for(condition, timeout, message):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(message)


def published_uscc(portal_schema):
    return portal_rows(portal_schema, "SELECT uscc FROM organisations WHERE is_published ORDER BY uscc LIMIT 1")[0][0]


def _png():
    from PIL import Image

    output = io.BytesIO()
    Image.new("RGB", (32, 24), (20, 90, 160)).save(output, format="PNG")
    return output.getvalue()


PNG_EVIDENCE = _png()


def submit_complaint_with_evidence(base_url, uscc, evidence):
    """Submit an anonymous complaint with one evidence file through the public form; return its tracking number."""
    import requests

    visitor = requests.Session()
    visitor.trust_env = False  # loopback only: never a proxy
    page = visitor.get(base_url + "/complaints/new?lang=en", timeout=10).text
    csrf_token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    details = visitor.post(base_url + "/complaints/new?lang=en", timeout=10,
                           data={"csrf_token": csrf_token, "uscc": uscc, "category": "illegal_fundraising"})
    assert details.status_code == 200, details.text[:500]
    form_token = re.search(r'name="form_token" value="([^"]+)"', details.text).group(1)
    time.sleep(1.2)  # COMPLAINT_MIN_FILL_SECONDS
    submitted = visitor.post(
        base_url + "/complaints/new?lang=en", timeout=30, allow_redirects=False,
        data={"csrf_token": csrf_token, "step": "details", "form_token": form_token, "uscc": uscc,
              "organisation_name": "", "category": "illegal_fundraising",
              "description": "该组织在街头以扶贫名义募捐，没有出示任何公开募捐资格证书，收款进入个人账户。",
              "incident_on": "2026-01-15", "contact_choice": "anonymous", "consent": "yes"},
        files={"evidence": ("receipt.png", evidence, "image/png")},
    )
    assert submitted.status_code == 303, submitted.text[:2000]
    return urllib.parse.urlsplit(submitted.headers["Location"]).path.rsplit("/", 1)[-1]


def test_two_nodes_share_one_database_and_one_redis(cluster):
    nodes, portal_schema, scoring_engine = cluster

    # 1. Both schedulers fire: exactly one sync applies.
    runs = wait_for(
        lambda: (
            rows
            if len(rows := portal_rows(portal_schema, "SELECT status, rows_changed, trigger FROM sync_runs")) == 2
            and all(row[0] != "running" for row in rows)
            else None
        ),
        120,
        "both schedulers did not record their run:\n" + "\n".join(node.logs() for node in nodes),
    )
    assert all(row[2] == "scheduler" for row in runs)
    applied = [row for row in runs if row[0] == "succeeded" and row[1] > 0]
    assert len(applied) == 1, runs
    assert all(row in applied or row[0] == "skipped" or row[1] == 0 for row in runs), runs
    (version,) = portal_rows(portal_schema, "SELECT version FROM publication_state")[0]
    assert version == 1

    # 2. Both indexes catch up to the same publication version, and both nodes find the same organisation.
    for node in nodes:
        wait_for(lambda node=node: node.index_version() == version, 90,
                 f"{node.name}'s index did not catch up:\n{node.logs()}")
    results = []
    for node in nodes:
        status, _, body = get(node.base_url + "/search?" + urllib.parse.urlencode({"q": YOUTH_FOUNDATION, "lang": "en"}))
        assert status == 200
        results.append(YOUTH_FOUNDATION in body)
    assert results == [True, True]

    # 3. Rate limits are counted across nodes: 6 per minute in all, whichever node answers.
    statuses = [
        get(nodes[i % 2].base_url + "/search/suggest?q=bei")[0] for i in range(8)
    ]
    assert statuses[:6] == [200] * 6, statuses
    assert statuses[6:] == [429, 429], statuses

    # 4. A staff session opened on one node works on the other (same SECRET_KEY, state in the shared DB).
    created = subprocess.run(
        [str(BIN / "flask"), "--app", "app", "staff", "create-user", "zhangmin", "--role", "handler",
         "--display-name", "张敏", "--password-stdin"],
        cwd=ROOT, env=nodes[0].env, input="Node-Test-Password-2026\n", capture_output=True, text=True, timeout=60,
    )
    assert created.returncode == 0, created.stdout + created.stderr
    cookies = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(cookies))
    with browser.open(nodes[0].base_url + "/staff/login") as response:
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', response.read().decode()).group(1)
    form = urllib.parse.urlencode({"csrf_token": token, "username": "zhangmin", "password": "Node-Test-Password-2026"})
    with browser.open(nodes[0].base_url + "/staff/login", data=form.encode()) as response:
        assert response.url.rstrip("/").endswith("/staff"), response.url
    with browser.open(nodes[1].base_url + "/staff/") as response:
        assert response.status == 200 and "/staff/login" not in response.url
        assert "张敏" in response.read().decode()

    # 5. Evidence uploaded through one node is served to staff by the other (shared EVIDENCE_DIR).
    tracking_number = submit_complaint_with_evidence(nodes[0].base_url, published_uscc(portal_schema), PNG_EVIDENCE)
    with browser.open(f"{nodes[1].base_url}/staff/complaints/{tracking_number}") as response:
        page = response.read().decode()
    evidence_link = re.search(r'href="(/staff/complaints/[^"]+/evidence/\d+[^"]*)"', page)
    assert evidence_link, page[page.find("<main"):][:3000]
    evidence_path = evidence_link.group(1)
    with browser.open(nodes[1].base_url + evidence_path) as response:
        served = response.read()
    assert served.startswith(b"\x89PNG") and response.headers["Content-Disposition"].startswith("attachment")

    # 6. A node killed in the middle of a sync: the other node's next run succeeds.
    advance_night(scoring_engine, seed=4, changes_percent=5.0)
    marker = nodes[0].folder / "reached"
    killed = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "fault" / "sync_until_killed.py"), "before-commit", str(marker)],
        cwd=ROOT, env={**nodes[0].env, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(marker.exists, 120, "the sync on node-a never reached its commit")
    finally:
        killed.send_signal(signal.SIGKILL)
        killed.wait(30)
    completed = nodes[1].flask("sync", "run")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    runs = portal_rows(portal_schema, "SELECT id, status, error_code FROM sync_runs ORDER BY id")
    assert runs[-2][1:] == ("failed", "interrupted"), runs
    assert runs[-1][1] == "succeeded", runs
    assert portal_rows(portal_schema, "SELECT version FROM publication_state")[0][0] == 2
    for node in nodes:
        wait_for(lambda node=node: node.index_version() == 2, 90, f"{node.name}'s index did not catch up to 2")
    health = [json.loads(get(node.base_url + "/healthz")[2])["publication_version"] for node in nodes]
    assert health == [2, 2]
