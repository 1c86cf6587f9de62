"""Start the portal as it is deployed, on a loopback port, with demo data.

Used by the browser tests (``tests/browser/conftest.py``) and by the scripts
in ``bench/``. Everything lives in one temporary folder: the demo scoring
database, the portal database (migrated with ``flask db upgrade``), the search
index and jieba's cache. The data arrives through ``flask sync run``, the same
command the scheduler runs, and the pages are served by gunicorn with
``gunicorn.conf.py``, as the Procfile starts it.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
#: In CI (CI=true) the browser tests are required: missing tools fail them rather than skip.
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
BIN = ROOT / ".venv" / "bin"

#: Organisations the demo generator always writes first, both published (A or B).
YOUTH_FOUNDATION = "北京市青少年发展基金会"
BLUE_SKY_ELDERLY_CARE = "北京市朝阳区蓝天养老服务中心"


class ServerError(RuntimeError):
    """The portal could not be set up or did not start; the message holds the log's tail."""


def free_port():
    """Return a TCP port that is free on 127.0.0.1 now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """Demo data, a synced portal database and gunicorn serving it, in a temporary folder.

    Use as a context manager, or call ``start()`` and ``stop()``.
    ``workers=None`` leaves the number to gunicorn.conf.py. ``wsgi_app`` is
    the ``module:variable`` gunicorn serves (``wsgi:app`` as deployed);
    ``python_path`` is prepended to PYTHONPATH for it. ``portal_database_url``
    is an empty PostgreSQL database (or schema) for the portal database; by
    default it is a SQLite file in the folder, as under ``make run``.
    """

    def __init__(self, orgs=600, seed=1, workers=2, wsgi_app="wsgi:app", python_path=None,
                 access_log=True, log=print, portal_database_url=None):
        self.orgs = orgs
        self.portal_database_url = portal_database_url
        self.seed = seed
        self.workers = workers
        self.wsgi_app = wsgi_app
        self.python_path = python_path
        self.access_log = access_log
        self.log = log
        self.folder = None
        self.process = None
        self.base_url = None
        self._log_file = None

    # -- setup -----------------------------------------------------------------

    def environment(self):
        """Return the environment every command of this server runs with."""
        env = dict(os.environ)
        for name in ("PORTAL_ENV", "SECRET_KEY", "RATELIMIT_STORAGE_URI", "PUBLIC_BASE_URL", "TRUSTED_HOSTS",
                     "TRUSTED_PROXY_HOPS"):
            env.pop(name, None)
        env.update(
            PORTAL_DATABASE_URL=self.portal_url,
            SCORING_DATABASE_URL=f"sqlite:///{self.folder / 'scoring-demo.db'}",
            INDEX_DIR=str(self.folder / "index"),
            JIEBA_CACHE_DIR=str(self.folder),
            EVIDENCE_DIR=str(self.folder / "evidence"),
            DOWNLOADS_DIR=str(self.folder / "downloads"),
            # A key made for this server only (Fernet's format: 32 bytes, URL-safe base64).
            COMPLAINT_CONTACT_KEY="bGl2ZS1zZXJ2ZXItdGVzdC1rZXktMzItYnl0ZXMhIT0=",
            PYTHONUNBUFFERED="1",
            # Never leave loopback: no proxy for 127.0.0.1.
            NO_PROXY="127.0.0.1,localhost",
            no_proxy="127.0.0.1,localhost",
        )
        if self.python_path:
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(self.python_path), env.get("PYTHONPATH")]))
        return env

    def _flask(self, *arguments):
        command = [str(BIN / "flask"), "--app", "app", *arguments]
        started = time.perf_counter()
        completed = subprocess.run(
            command, cwd=ROOT, env=self.environment(), capture_output=True, text=True, timeout=900
        )
        if completed.returncode != 0:
            raise ServerError(
                f"`{' '.join(command[1:])}` exited with {completed.returncode}:\n"
                f"{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}"
            )
        self.log(f"flask {' '.join(arguments)}: {time.perf_counter() - started:.1f} s")
        return completed.stdout

    def prepare_data(self):
        """Generate the demo scoring database, migrate the portal database and run the first sync."""
        from portal.demo.generator import generate_scoring_db

        started = time.perf_counter()
        engine = sa.create_engine(f"sqlite:///{self.folder / 'scoring-demo.db'}")
        try:
            generate_scoring_db(engine, orgs=self.orgs, seed=self.seed)
        finally:
            engine.dispose()
        self.log(f"demo scoring db of {self.orgs} organisations: {time.perf_counter() - started:.1f} s")
        self._flask("db", "upgrade")
        self._flask("sync", "run")

    @property
    def portal_url(self):
        """The URL of this server's portal database."""
        return self.portal_database_url or f"sqlite:///{self.folder / 'portal.db'}"

    def portal_rows(self, sql, parameters=None):
        """Return the rows of a read-only ``sql`` (named ``:parameters``) on the portal database."""
        engine = sa.create_engine(self.portal_url)
        try:
            with engine.connect() as connection:
                return [tuple(row) for row in connection.execute(sa.text(sql), parameters or {})]
        finally:
            engine.dispose()

    def published_organisation(self, name):
        """Return (USCC, grade) of the published organisation called ``name``."""
        rows = self.portal_rows(
            "SELECT uscc, grade FROM organisations WHERE name = :name AND is_published", {"name": name}
        )
        if not rows:
            raise ServerError(f"{name} is not published in the demo data")
        return rows[0]

    # -- gunicorn --------------------------------------------------------------

    def start_gunicorn(self, timeout=60):
        """Start gunicorn with gunicorn.conf.py on a free loopback port and wait until it answers."""
        port = free_port()
        env = self.environment()
        env["PORTAL_BIND"] = f"127.0.0.1:{port}"
        # Absolute URLs (the report's QR code, feeds) point at this server, in production mode too.
        env["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{port}"
        if self.workers is None:
            # gunicorn.conf.py decides, as under `make run`.
            env.pop("WEB_CONCURRENCY", None)
        else:
            env["WEB_CONCURRENCY"] = str(self.workers)
        if not self.access_log:
            env["WEB_ACCESS_LOG"] = "/dev/null"
        self._log_file = open(self.folder / "gunicorn.log", "ab")
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", self.wsgi_app],
            cwd=ROOT,
            env=env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerError(f"gunicorn exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.base_url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        workers = self.workers or "gunicorn.conf.py's default"
                        self.log(f"gunicorn {self.wsgi_app} ({workers} workers) at {self.base_url}")
                        return self.base_url
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        raise ServerError(f"gunicorn did not answer /healthz within {timeout} s:\n{self.log_tail()}")

    def log_tail(self, characters=4000):
        """Return the end of gunicorn's log."""
        path = self.folder / "gunicorn.log" if self.folder else None
        if path is None or not path.exists():
            return ""
        return path.read_text(errors="replace")[-characters:]

    def stop_gunicorn(self):
        """Stop gunicorn gracefully (SIGTERM to its master), then kill what is left."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=25)
            except subprocess.TimeoutExpired:
                # The master and its workers are alone in their session: kill that group only.
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.process = None
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    # -- lifecycle -------------------------------------------------------------

    def start(self):
        self.folder = Path(tempfile.mkdtemp(prefix="portal-live-"))
        try:
            self.prepare_data()
            self.start_gunicorn()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self, keep_folder=False):
        try:
            self.stop_gunicorn()
        finally:
            if self.folder is not None and not keep_folder:
                shutil.rmtree(self.folder, ignore_errors=True)
                self.folder = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()


def chromium_path():
    """Return the path of Debian's chromium, or None."""
    for candidate in ("/usr/bin/chromium", shutil.which("chromium")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


#: Chromium's background connections are refused on this machine: switch them off.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def launch_chromium(playwright):
    """Launch Debian's chromium through Playwright (never a downloaded browser)."""
    return playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)


if __name__ == "__main__":
    # A manual check: start the server, print its URL and wait for Ctrl-C.
    with LiveServer(orgs=int(sys.argv[1]) if len(sys.argv) > 1 else 600) as server:
        print(server.base_url, server.published_organisation(YOUTH_FOUNDATION))
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
