"""Nothing acknowledged is lost, and nothing half-written stays, when the process dies mid-submission.

A child process submits complaints with evidence through the real service
and database, and prints each tracking number once its acknowledgement
could be sent. It dies with os._exit() at a chosen point (or is killed with
SIGKILL at a random moment). The parent then runs the clean-up and checks
that every acknowledged complaint is stored with intact files and that no
file is left without a committed row.
"""

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from datetime import timedelta
from pathlib import Path

import pytest

from portal.clock import utcnow
from portal.complaints import evidence, retention
from portal.complaints.models import Complaint, Evidence
from portal.extensions import db
from tests.complaints.support import (  # noqa: F401 (fixtures)
    PUBLISHED_USCC,
    app,
    app_config,
    make_app,
)

ROOT = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent(
    """
    import io, json, os, sys
    from portal import create_app
    from portal.complaints import evidence, organisations, service
    from tests.complaints.support import jpeg_with_gps, pdf_bytes, DESCRIPTION

    config = json.loads(sys.argv[1])
    crash_at = sys.argv[2]
    count = int(sys.argv[3])
    app = create_app(config)

    def die(*args, **kwargs):
        os._exit(137)

    with app.app_context():
        for number in range(count):
            if number == count - 1 and crash_at != "never":
                if crash_at == "before_commit":
                    # Files are on disk, the transaction never commits.
                    service._insert = die
                elif crash_at == "after_commit":
                    # Committed, but the files keep their pending names; no acknowledgement sent.
                    evidence.finalise = die
                elif crash_at == "mid_write":
                    original = evidence.write_pending
                    calls = []
                    def half_written(name, data):
                        calls.append(name)
                        if len(calls) == 2:
                            os.makedirs(os.path.dirname(evidence.stored_path(name)), exist_ok=True)
                            with open(evidence.stored_path(name) + evidence.PENDING_SUFFIX, "wb") as file:
                                file.write(data[: len(data) // 2])
                            os._exit(137)
                        return original(name, data)
                    evidence.write_pending = half_written
            complaint, code = service.submit_complaint(
                organisation=organisations.resolve_organisation(config["_USCC"], ""),
                category="other",
                description=DESCRIPTION,
                incident_on=None,
                files=[("a.jpg", io.BytesIO(jpeg_with_gps())), ("b.pdf", io.BytesIO(pdf_bytes()))],
                contact={"phone": "13800138000"},
                anonymous=False,
                idempotency_key=None,
            )
            # The acknowledgement would be sent now.
            print("ACK", complaint.tracking_number, flush=True)
    """
)


def run_child(app, crash_at, count, kill_after_acks=None):
    """Run the child; with ``kill_after_acks``, SIGKILL it at a random moment after that many acknowledgements."""
    config = {key: value for key, value in app.config.items() if key in CONFIG_KEYS}
    config["_USCC"] = PUBLISHED_USCC
    command = [sys.executable, "-c", CHILD, json.dumps(config), crash_at, str(count)]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    acknowledged = []
    if kill_after_acks is not None:
        for line in process.stdout:
            if line.startswith("ACK "):
                acknowledged.append(line.split()[1])
            if len(acknowledged) >= kill_after_acks:
                break
        # Somewhere inside the next submission (one takes tens of milliseconds).
        time.sleep(random.uniform(0, 0.05))
        process.send_signal(signal.SIGKILL)
    stdout, stderr = process.communicate(timeout=120)
    acknowledged += [line.split()[1] for line in stdout.splitlines() if line.startswith("ACK ")]
    return process.returncode, acknowledged, stderr


CONFIG_KEYS = (
    "TESTING",
    "SECRET_KEY",
    "SQLALCHEMY_DATABASE_URI",
    "SCORING_DATABASE_URL",
    "INDEX_DIR",
    "EVIDENCE_DIR",
    "COMPLAINT_CONTACT_KEY",
)


def files_on_disk(app):
    root = Path(app.config["EVIDENCE_DIR"])
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def check_consistent(app, acknowledged):
    """Clean up as the scheduler would an hour later, then check disk and database agree."""
    with app.app_context():
        db.session.remove()
        retention.cleanup(now=utcnow() + timedelta(hours=2))
        numbers = set(db.session.scalars(db.select(Complaint.tracking_number)))
        assert set(acknowledged) <= numbers
        rows = db.session.scalars(db.select(Evidence)).all()
        for row in rows:
            assert evidence.verify_evidence(row), row
        assert {path.name for path in files_on_disk(app)} == {row.stored_name for row in rows}
        # Every complaint has both its files.
        for complaint in db.session.scalars(db.select(Complaint)):
            assert len(complaint.evidence) == 2
        return numbers


@pytest.mark.parametrize(
    ("crash_at", "stored_extra"),
    [("before_commit", 0), ("mid_write", 0), ("after_commit", 1), ("never", 0)],
)
def test_process_dies_at_a_chosen_point(app, crash_at, stored_extra):
    returncode, acknowledged, stderr = run_child(app, crash_at, count=3)
    if crash_at == "never":
        assert returncode == 0, stderr
        assert len(acknowledged) == 3
    else:
        assert returncode == 137, stderr
        assert len(acknowledged) == 2
        assert files_on_disk(app)  # the dead submission left something behind
    numbers = check_consistent(app, acknowledged)
    # A commit that happened without its acknowledgement is kept, with its files finished.
    assert len(numbers) == len(acknowledged) + stored_extra
    assert not [path for path in files_on_disk(app) if path.name.endswith(evidence.PENDING_SUFFIX)]


def test_sigkill_during_a_stream_of_submissions(app):
    for _round in range(3):
        returncode, acknowledged, stderr = run_child(app, "never", count=10_000, kill_after_acks=3)
        assert returncode == -signal.SIGKILL, stderr
        assert len(acknowledged) >= 3
        check_consistent(app, acknowledged)
