"""A full disk while storing evidence or writing the search index (a small tmpfs made by the test).

Evidence: the complainant gets a clear 503, nothing is stored, no file is
left behind, and the same form goes through once there is room again.
Index: a catch-up that runs out of room fails without corrupting the index,
which keeps answering at its previous version, and catches up later.
"""

import os
import subprocess
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from portal.complaints.models import Complaint
from portal.extensions import db
from portal.search import index as search_index
from portal.sync import service as sync_service
from tests.conftest import IN_CI, published_matches
from tests.scoring_builder import ScoringBuilder
from tests.complaints.support import app as complaint_app  # noqa: F401
from tests.complaints.support import details_form, make_app, png_bytes, submit  # noqa: F401


@contextmanager
def small_disk(path, size):
    """Mount a tmpfs of ``size`` (e.g. "2m") at ``path`` for the block."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        message = f"cannot mount a tmpfs here: {mounted.stderr.strip()}"
        if IN_CI:
            pytest.fail(message + " (CI runs as root and needs it)")
        pytest.skip(message)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def fill(folder, leave_bytes=0):
    """Fill ``folder``'s file system, leaving about ``leave_bytes`` free."""
    filler = folder / ".filler"
    with open(filler, "wb") as file:
        try:
            while True:
                stat = os.statvfs(folder)
                free = stat.f_bavail * stat.f_frsize
                if free <= leave_bytes:
                    break
                file.write(b"\0" * min(65536, max(4096, free - leave_bytes)))
                file.flush()
        except OSError:
            pass
    return filler


def files_in(folder):
    return sorted(path.name for path in folder.rglob("*") if path.is_file() and path.name != ".filler")


def test_evidence_on_a_full_disk_gives_a_clear_error_and_stores_nothing(make_app, tmp_path):  # noqa: F811
    with small_disk(tmp_path / "evidence", "1m") as folder:
        app = make_app(EVIDENCE_DIR=str(folder))
        with app.app_context():
            from tests.complaints.support import PUBLISHED_NAME, PUBLISHED_USCC, add_organisation

            add_organisation(PUBLISHED_USCC, PUBLISHED_NAME, published=True, grade="A", score="91.50")
            db.session.commit()
        client = app.test_client()
        filler = fill(folder)
        form = details_form(app)
        evidence = [("photo.png", png_bytes(), "image/png")]

        for language, text in (("en", "file storage is full"), ("zh", "存储空间已满")):
            response = submit(client, form, files=evidence, lang=language)
            assert response.status_code == 503, response.status_code
            page = response.get_data(as_text=True)
            assert text in page
            assert "Traceback" not in page
        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count()).select_from(Complaint)) == 0
        assert files_in(folder) == []

        filler.unlink()  # room again: the same form is accepted, once
        response = submit(client, form, files=evidence, lang="en")
        assert response.status_code == 303
        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count()).select_from(Complaint)) == 1
        assert len(files_in(folder)) == 1


def test_index_catch_up_on_a_full_disk_keeps_the_previous_index(app, scoring_url, tmp_path, monkeypatch):
    builder = ScoringBuilder(scoring_url)
    builder.rule_set()
    first = [builder.organisation(number, name=f"北京市满盘测试{number}协会", grade="A") for number in range(1, 21)]
    with small_disk(tmp_path / "index-disk", "8m") as folder:
        app.config["INDEX_DIR"] = str(folder / "index")
        with app.app_context():
            assert sync_service.run_sync(trigger="test").status == "succeeded"
        assert search_index.index_version(app.config["INDEX_DIR"]) == 1

        builder.tick(days=1)
        later = [builder.organisation(number, name=f"北京市后来测试{number}协会", grade="B",
                                      business_scope="养老服务 " * 200) for number in range(21, 421)]
        filler = fill(folder, leave_bytes=64 * 1024)
        with app.app_context():
            result = sync_service.run_sync(trigger="test")
        assert result.status == "succeeded"  # the database has the night; the index could not follow
        assert "error" in (result.index or {}), result.index
        # The index is whole, at its previous version, and answers.
        assert search_index.index_version(app.config["INDEX_DIR"]) == 1
        with app.app_context():
            found = {hit["uscc"] for hit in published_matches("满盘测试")}
        assert found == set(first)

        filler.unlink()
        subprocess.run(["mount", "-o", "remount,size=64m", str(folder)], check=True)
        with app.app_context():
            caught_up = sync_service.catch_up_index()
        assert not caught_up.get("error"), caught_up
        assert search_index.index_version(app.config["INDEX_DIR"]) == 2
        with app.app_context():
            assert {hit["uscc"] for hit in published_matches("后来测试", limit=500)} == set(later)
    builder.dispose()
