"""`make run` as a newcomer meets it: it serves on PORTAL_BIND, and Ctrl-C stops it cleanly.

The project is copied to a temporary folder (its own instance/: portal
database, demo data, index) and run there with this test run's virtual
environment (make -o: its install steps are taken as done), so that nothing
of the working copy is touched and nothing is installed. `make run` is started on a pseudo-terminal, as from a shell, and
Ctrl-C is typed into that terminal once the web server answers: the
terminal sends SIGINT to its foreground process group, whatever that is, as
it does for a person. make must end with status 0, say "==> Stopped." and
report no error, and nothing may still serve on the port.
"""

import os
import pty
import re
import select
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from portal.config.load import SETTINGS
from portal.testing.live_server import IN_CI, free_port

ROOT = Path(__file__).resolve().parents[1]
#: The demo data of the run: small, so that the set-up takes seconds.
DEMO_ORGS = 200
#: Seconds for `make setup` (migrate, demo data, first sync) and the servers' start on a busy machine.
START_TIMEOUT = 300
STOP_TIMEOUT = 60
NOT_COPIED = shutil.ignore_patterns(".git", ".venv", "instance", "node_modules", "__pycache__", ".pytest_cache",
                                    "screenshots", "test-results")


def require_tools():
    missing = [tool for tool in ("make", "bash") if shutil.which(tool) is None]
    if missing:
        message = f"`make run` needs {' and '.join(missing)}"
        if IN_CI:
            pytest.fail(f"{message}: required in CI", pytrace=False)
        pytest.skip(message)


def project_copy(folder):
    """Copy the project to ``folder`` with a .venv that is this test run's virtual environment."""
    shutil.copytree(ROOT, folder, ignore=NOT_COPIED, symlinks=True)
    environment = Path(sys.prefix)
    if not (environment / "bin" / "honcho").exists():
        pytest.skip(f"the virtual environment {environment} has no honcho (requirements.txt)")
    (folder / ".venv").symlink_to(environment, target_is_directory=True)
    return folder


def run_environment(home, port):
    """The environment of a newcomer's shell: no portal setting, only PORTAL_BIND and a small demo."""
    variables = {setting.variable for setting in SETTINGS if setting.variable}
    env = {name: value for name, value in os.environ.items() if name not in variables}
    for name in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "VIRTUAL_ENV", "PYTHONPATH"):
        env.pop(name, None)
    env.update(
        PORTAL_BIND=f"127.0.0.1:{port}",
        DEMO_ORGS=str(DEMO_ORGS),
        HOME=str(home),
        TERM="dumb",
        PYTHONUNBUFFERED="1",
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
    )
    return env


class Terminal:
    """A command on a pseudo-terminal of its own (a new session whose controlling terminal it is)."""

    def __init__(self, command, cwd, env):
        self.pid, self.master = pty.fork()
        if self.pid == 0:  # the child: exec at once
            try:
                os.chdir(cwd)
                os.execvpe(command[0], command, env)
            finally:
                os._exit(127)
        self.output = b""
        self.status = None

    def read(self, seconds):
        """Collect output for up to ``seconds`` (the terminal must be drained, or the command blocks)."""
        ready, _, _ = select.select([self.master], [], [], seconds)
        if ready:
            try:
                self.output += os.read(self.master, 65536)
            except OSError:  # EIO: every process of the terminal has closed it
                time.sleep(seconds)

    def poll(self):
        if self.status is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = status
        return self.status

    def type(self, keys):
        os.write(self.master, keys)

    def text(self):
        return self.output.decode("utf-8", "replace")

    def close(self):
        os.close(self.master)


def answers(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def processes_in(folder):
    """Return the ids of the running processes whose working folder is ``folder`` (the copy): what make started."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cwd = os.readlink(entry / "cwd")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if (cwd == str(folder) or cwd.startswith(f"{folder}/")) and state != "Z":
            found.append(int(entry.name))
    return found


def end_leftovers(folder):
    """Kill what this test started and left running."""
    for pid in processes_in(folder):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.mark.slow
def test_ctrl_c_stops_make_run_with_status_0(tmp_path):
    require_tools()
    folder = project_copy(tmp_path / "portal")
    (tmp_path / "home").mkdir()
    port = free_port()
    url = f"http://127.0.0.1:{port}/healthz"
    # -o: the copy's .venv is this run's environment, installed already; pip must not touch it.
    command = ["make", "-o", ".venv/bin/python", "-o", ".venv/.installed", "run"]
    terminal = Terminal(command, folder, run_environment(tmp_path / "home", port))
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not answers(url):
            assert terminal.poll() is None, f"make run ended before serving:\n{terminal.text()[-4000:]}"
            assert time.monotonic() < deadline, f"nothing answered {url} in {START_TIMEOUT} s:\n{terminal.text()[-4000:]}"
            terminal.read(0.5)
        text = terminal.text()
        assert f"==> Starting the web server (127.0.0.1:{port})" in text
        # The first sync's output, as a newcomer sees it scroll by.
        assert "==> First sync from the scoring database" in text

        terminal.type(b"\x03")  # Ctrl-C
        deadline = time.monotonic() + STOP_TIMEOUT
        while terminal.poll() is None:
            assert time.monotonic() < deadline, f"make run did not stop in {STOP_TIMEOUT} s:\n{terminal.text()[-4000:]}"
            terminal.read(0.2)
        terminal.read(0.2)
        text = terminal.text()
        status = terminal.status
        assert os.WIFEXITED(status), f"make was killed by signal {os.WTERMSIG(status)}:\n{text[-4000:]}"
        assert os.WEXITSTATUS(status) == 0, text[-4000:]
        assert "==> Stopped." in text
        assert "make: ***" not in text
        assert not answers(url), "the web server still answers after Ctrl-C"
        assert processes_in(folder) == [], "a process of make run outlived it (the scheduler?)"
    finally:
        if terminal.poll() is None:
            os.kill(terminal.pid, signal.SIGKILL)
            os.waitpid(terminal.pid, 0)
        end_leftovers(folder)
        terminal.close()


@pytest.mark.slow
def test_sigint_to_make_runs_process_group_without_a_terminal_stops_everything(tmp_path):
    """No terminal (a script, CI): a SIGINT to make's process group stops honcho and both servers, without a make error.

    GNU make then ends by its own SIGINT (it re-raises the signal after its recipe), so its status is
    that of a process stopped by Ctrl-C; from a terminal the test above sees status 0.
    """
    require_tools()
    folder = project_copy(tmp_path / "portal")
    (tmp_path / "home").mkdir()
    port = free_port()
    url = f"http://127.0.0.1:{port}/healthz"
    log = tmp_path / "make.log"
    command = ["make", "-o", ".venv/bin/python", "-o", ".venv/.installed", "run"]
    with open(log, "wb") as output:
        process = subprocess.Popen(command, cwd=folder, env=run_environment(tmp_path / "home", port),
                                   stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not answers(url):
            assert process.poll() is None, f"make run ended before serving:\n{log.read_text()[-4000:]}"
            assert time.monotonic() < deadline, f"nothing answered {url} in {START_TIMEOUT} s"
            time.sleep(0.5)
        os.killpg(process.pid, signal.SIGINT)
        status = process.wait(timeout=STOP_TIMEOUT)
        text = log.read_text(errors="replace")
        assert status in (0, -signal.SIGINT), text[-4000:]
        assert "==> Stopped." in text and "make: ***" not in text
        assert not answers(url), "the web server still answers after SIGINT"
        assert processes_in(folder) == [], "a process of make run outlived it (the scheduler?)"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        end_leftovers(folder)


def test_readme_documents_every_make_target_and_the_port_variable():
    makefile = (ROOT / "Makefile").read_text()
    readme = (ROOT / "README.md").read_text()
    phony = re.search(r"^\.PHONY:(.*)$", makefile, re.M).group(1).split()
    targets = re.findall(r"^([a-z][a-z-]*):", makefile, re.M)
    assert set(targets) <= set(phony) | {"run"}, "a target is missing from .PHONY"
    undocumented = [target for target in phony if f"`make {target}`" not in readme and f"make {target}" not in readme]
    assert undocumented == [], f"README.md does not document: {undocumented}"
    assert "PORTAL_BIND" in readme and "PORTAL_BIND=0.0.0.0:8080 make run" in readme
