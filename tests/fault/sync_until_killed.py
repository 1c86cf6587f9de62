"""Run one sync that stops at a chosen point and waits to be killed (tests/fault/test_sync_faults.py).

Usage: python tests/fault/sync_until_killed.py POINT MARKER_FILE
POINT is mid-read (after the second chunk of organisations is written),
before-commit, or after-commit (the data is committed, the index not yet
updated). The process writes MARKER_FILE when it gets there, then sleeps.
The app is configured from the environment, as `flask sync run` is.
"""

import sys
import time

from portal import create_app
from portal.sync import apply, service

point, marker = sys.argv[1], sys.argv[2]


def wait_to_be_killed(*args, **kwargs):
    with open(marker, "w") as signal_file:
        signal_file.write(point)
    time.sleep(600)


if point == "mid-read":
    apply_chunk = apply.Attempt._apply_organisation_chunk
    calls = []

    def apply_then_wait(self, rows, grade_bands):
        apply_chunk(self, rows, grade_bands)
        calls.append(len(rows))
        if len(calls) == 2:
            self.session.flush()
            wait_to_be_killed()

    apply.Attempt._apply_organisation_chunk = apply_then_wait
elif point == "before-commit":
    service._before_commit_hook = wait_to_be_killed
elif point == "after-commit":
    service.catch_up_index = wait_to_be_killed
else:
    raise SystemExit(f"unknown point {point}")

with create_app().app_context():
    service.run_sync(trigger="test")
