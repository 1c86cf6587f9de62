"""PDF reports rendered once per publication: the shared file cache, single flight, the render bound, 304s.

Real WeasyPrint, real files in the test's downloads folder, real processes
for the single-flight check; the only thing ever replaced is the renderer,
where a test needs it to fail or to take its time.
"""

import fcntl
import multiprocessing
import os
import time

import pytest

from portal.reports import pdf, pdf_cache
from tests.synced_portal import sync_at
from tests.reports.test_pdf_print_and_verify import FOUNDATION, NIGHTS, OTHER, UNKNOWN, pdf_text, published  # noqa: F401 (a fixture)


def files_under(folder):
    """Every file below ``folder`` but the lock files, as paths relative to it."""
    found = []
    for root, _, names in os.walk(folder):
        found += [os.path.relpath(os.path.join(root, name), folder) for name in names if not name.endswith(".lock")]
    return sorted(found)


def pdf_folder(app):
    return os.path.join(app.config["DOWNLOADS_DIR"], "reports")


def counted_renders(monkeypatch, tmp_path):
    """Count the renders (they run in child processes) in a file; return a function that reads the count."""
    counter = tmp_path / "renders.log"
    real = pdf.html_to_pdf

    def counting(*args):
        with open(counter, "a") as file:
            file.write("render\n")
        return real(*args)

    monkeypatch.setattr(pdf, "html_to_pdf", counting)
    return lambda: len(counter.read_text().split()) if counter.exists() else 0


def test_a_pdf_is_rendered_once_and_served_from_the_shared_folder(app, client, published, monkeypatch, tmp_path):
    renders = counted_renders(monkeypatch, tmp_path)
    first = client.get(f"/org/{FOUNDATION}/report.pdf")
    assert first.status_code == 200 and first.data.startswith(b"%PDF")
    again = app.test_client().get(f"/org/{FOUNDATION}/report.pdf")
    assert again.data == first.data
    assert renders() == 1
    english = client.get(f"/org/{FOUNDATION}/report.pdf?lang=en")
    assert english.data != first.data and "Genuine" not in pdf_text(first.data)
    assert renders() == 2
    assert [name.split("/")[0] for name in files_under(pdf_folder(app))] == [FOUNDATION, FOUNDATION]
    assert first.headers["ETag"] and first.headers["Last-Modified"]
    assert first.headers["Content-Length"] == str(len(first.data))
    assert first.headers["Content-Disposition"].startswith("inline; filename=credit-report-")


def test_a_new_publication_version_renders_a_new_pdf(app, client, published, scoring, monkeypatch):
    before = client.get(f"/org/{FOUNDATION}/report.pdf")
    scoring.score(FOUNDATION, "A", "98.25")
    sync_at(app, monkeypatch, NIGHTS[1])
    after = client.get(f"/org/{FOUNDATION}/report.pdf")
    assert after.status_code == 200
    assert after.headers["ETag"] != before.headers["ETag"]
    # (not 99.00: the test builder's items of this organisation add up to that, so its breakdown shows it)
    assert "98.25" in pdf_text(after.data) and "98.25" not in pdf_text(before.data)
    # The earlier publication's PDF is gone from the folder; only the current one stays.
    names = files_under(pdf_folder(app))
    assert len(names) == 1 and os.path.basename(names[0]).startswith("v2.zh.")
    # A conditional GET with the old validator gets the new PDF, not a 304.
    revalidated = client.get(f"/org/{FOUNDATION}/report.pdf", headers={"If-None-Match": before.headers["ETag"]})
    assert revalidated.status_code == 200 and revalidated.data == after.data


def test_conditional_gets_are_answered_304(client, published):
    first = client.get(f"/org/{FOUNDATION}/report.pdf")
    etag = first.headers["ETag"]
    by_etag = client.get(f"/org/{FOUNDATION}/report.pdf", headers={"If-None-Match": etag})
    assert by_etag.status_code == 304 and by_etag.data == b""
    assert by_etag.headers["ETag"] == etag
    by_date = client.get(f"/org/{FOUNDATION}/report.pdf", headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert by_date.status_code == 304
    other = client.get(f"/org/{FOUNDATION}/report.pdf", headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200 and other.data == first.data


@pytest.mark.parametrize("failure", ["render", "write", "hang"])
@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_failed_render_answers_cleanly_and_leaves_nothing(app, client, published, monkeypatch, failure, language):
    def broken_render(*args):
        raise RuntimeError("WeasyPrint could not lay out the page")

    def broken_fsync(fd):
        raise OSError(28, "No space left on device")

    def hanging_render(*args):
        time.sleep(60)

    if failure == "render":
        monkeypatch.setattr(pdf, "html_to_pdf", broken_render)
    elif failure == "write":
        monkeypatch.setattr(pdf.os, "fsync", broken_fsync)
    else:
        monkeypatch.setattr(pdf, "html_to_pdf", hanging_render)
        app.config["REPORT_PDF_RENDER_TIMEOUT_SECONDS"] = 1
    response = client.get(f"/org/{FOUNDATION}/report.pdf?lang={language}")
    assert response.status_code == 500
    assert response.mimetype == "text/html"
    expected = {"zh": "暂时无法生成 PDF", "en": "The PDF could not be made just now"}[language]
    assert expected in response.get_data(as_text=True)
    assert files_under(pdf_folder(app)) == []
    monkeypatch.undo()
    app.config["REPORT_PDF_RENDER_TIMEOUT_SECONDS"] = 300
    assert client.get(f"/org/{FOUNDATION}/report.pdf?lang={language}").data.startswith(b"%PDF")


def _slow_render(folder, log_path, barrier):
    store = pdf_cache.PdfStore(folder, slots=2, wait_seconds=30)
    key = pdf_cache.PdfKey("91110000MA0000001X", 3, "zh", "R-20261107-0000000000000000", "http://localhost")

    def render_to(path):
        with open(log_path, "a") as log:
            log.write(f"{os.getpid()}\n")
        time.sleep(0.5)
        with open(path, "wb") as file:
            file.write(b"%PDF-1.7 rendered once")

    barrier.wait()
    cached = store.get_or_render(key, render_to)
    with open(cached.path, "rb") as file:
        assert file.read() == b"%PDF-1.7 rendered once"


def test_two_processes_asking_at_once_render_once(tmp_path):
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(3)
    log_path = tmp_path / "renders.log"
    workers = [
        context.Process(target=_slow_render, args=(str(tmp_path / "reports"), str(log_path), barrier))
        for _ in range(3)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert [worker.exitcode for worker in workers] == [0, 0, 0]
    assert len(log_path.read_text().split()) == 1


@pytest.fixture
def app_config_overrides():
    # A render may take long on a loaded test machine: the hang test sets its own short timeout.
    return {"REPORT_PDF_RENDER_SLOTS": 1, "REPORT_PDF_WAIT_SECONDS": 0.2, "REPORT_PDF_RETRY_AFTER_SECONDS": 7,
            "REPORT_PDF_RENDER_TIMEOUT_SECONDS": 300}


@pytest.mark.parametrize(
    "language, expected",
    [("zh", "正在准备的报告较多"), ("en", "Many reports are being prepared at this moment")],
)
def test_a_full_render_queue_answers_503_with_retry_after(app, client, published, language, expected):
    cached = client.get(f"/org/{OTHER}/report.pdf?lang={language}")
    assert cached.status_code == 200
    slot = os.path.join(pdf_folder(app), ".locks", "render-slot-0.lock")
    with open(slot, "a+b") as held:
        # Another worker is rendering: the only slot is taken.
        fcntl.flock(held, fcntl.LOCK_EX)
        started = time.monotonic()
        response = client.get(f"/org/{FOUNDATION}/report.pdf?lang={language}")
        waited = time.monotonic() - started
        # A PDF already rendered needs no slot, and is still served.
        still_served = client.get(f"/org/{OTHER}/report.pdf?lang={language}")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "7"
    assert expected in response.get_data(as_text=True)
    assert waited < 2
    assert still_served.status_code == 200 and still_served.data == cached.data
    assert not any(name.startswith(FOUNDATION) for name in files_under(pdf_folder(app)))
    assert client.get(f"/org/{FOUNDATION}/report.pdf?lang={language}").status_code == 200


# -- the worker's memory of rendered PDFs ------------------------------------------------------


def statements_during(app, request):
    """Return the SQL statements the portal database ran while ``request()`` was answered, and its answer."""
    from sqlalchemy import event

    from portal.extensions import db

    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        response = request()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return statements, response


def test_a_pdf_sent_before_is_sent_again_after_one_query(app, client, published):
    first = client.get(f"/org/{FOUNDATION}/report.pdf")
    statements, again = statements_during(app, lambda: client.get(f"/org/{FOUNDATION}/report.pdf"))
    assert again.status_code == 200 and again.data == first.data
    assert again.headers["ETag"] == first.headers["ETag"]
    # The publication version only: the issued report and the organisation are not read again.
    reads = [statement for statement in statements if statement.lstrip().upper().startswith("SELECT")]
    assert len(reads) == 1 and "publication_state" in reads[0]
    # Another language is another report.
    english = client.get(f"/org/{FOUNDATION}/report.pdf?lang=en")
    assert english.status_code == 200 and english.data != first.data


def test_a_pdf_still_in_the_folder_answers_404_once_its_organisation_left_the_list(
    app, client, published, scoring, monkeypatch
):
    sent = client.get(f"/org/{FOUNDATION}/report.pdf")
    assert sent.status_code == 200
    kept = files_under(pdf_folder(app))
    scoring.score(FOUNDATION, "C", "71.23")
    sync_at(app, monkeypatch, NIGHTS[1])
    # The file stays (nothing removes it at the sync), and this worker remembers it: neither is asked.
    assert files_under(pdf_folder(app)) == kept
    gone = client.get(f"/org/{FOUNDATION}/report.pdf")
    unknown = client.get(f"/org/{UNKNOWN}/report.pdf")
    assert gone.status_code == unknown.status_code == 404
    assert gone.get_data(as_text=True).replace(FOUNDATION, "CODE") == unknown.get_data(as_text=True).replace(
        UNKNOWN, "CODE"
    )
    revalidated = client.get(f"/org/{FOUNDATION}/report.pdf", headers={"If-None-Match": sent.headers["ETag"]})
    assert revalidated.status_code == 404


def test_the_next_days_report_replaces_the_days_pdf(app, client, published, monkeypatch):
    from datetime import timedelta

    from portal.reports import service

    today = client.get(f"/org/{FOUNDATION}/report.pdf")
    now = service.utcnow()
    monkeypatch.setattr(service, "utcnow", lambda: now + timedelta(days=1))
    tomorrow = client.get(f"/org/{FOUNDATION}/report.pdf")
    assert tomorrow.status_code == 200 and tomorrow.data != today.data
    (name,) = files_under(pdf_folder(app))
    assert tomorrow.headers["Content-Disposition"].endswith(name.split(".")[2] + ".pdf")


# -- waiting for a render slot ----------------------------------------------------------------


def test_a_request_waits_for_a_render_slot_rather_than_refusing(app, client, published):
    import threading

    app.config["REPORT_PDF_WAIT_SECONDS"] = 60
    client.get(f"/org/{OTHER}/report.pdf")  # the slot files exist
    slot = os.path.join(pdf_folder(app), ".locks", "render-slot-0.lock")
    with open(slot, "a+b") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        releaser = threading.Timer(1.0, fcntl.flock, (held, fcntl.LOCK_UN))
        releaser.start()
        started = time.monotonic()
        response = client.get(f"/org/{FOUNDATION}/report.pdf")
        waited = time.monotonic() - started
        releaser.join()
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert waited >= 0.9


def _queued_render(folder, number, log_path):
    store = pdf_cache.PdfStore(folder, slots=1, wait_seconds=60)
    key = pdf_cache.PdfKey(f"91110000MA000000{number}X", 3, "zh", f"R-20261107-000000000000000{number}", "http://x")

    def render_to(path):
        with open(log_path, "a") as log:
            log.write(f"{number}\n")
        with open(path, "wb") as file:
            file.write(b"%PDF-1.7")

    store.get_or_render(key, render_to)


def _queue_length(folder):
    queue = os.path.join(folder, ".locks", "queue")
    return len([name for name in os.listdir(queue) if not name.startswith(".")]) if os.path.isdir(queue) else 0


def test_waiting_requests_get_the_slot_in_the_order_they_came(tmp_path):
    folder = str(tmp_path / "reports")
    os.makedirs(os.path.join(folder, ".locks"))
    log_path = tmp_path / "renders.log"
    context = multiprocessing.get_context("fork")
    workers = []
    with open(os.path.join(folder, ".locks", "render-slot-0.lock"), "a+b") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        for number in range(1, 5):
            worker = context.Process(target=_queued_render, args=(folder, number, str(log_path)))
            worker.start()
            workers.append(worker)
            deadline = time.monotonic() + 20
            while _queue_length(folder) < number and time.monotonic() < deadline:
                time.sleep(0.01)
        fcntl.flock(held, fcntl.LOCK_UN)
        for worker in workers:
            worker.join(30)
    assert [worker.exitcode for worker in workers] == [0, 0, 0, 0]
    assert log_path.read_text().split() == ["1", "2", "3", "4"]
    assert _queue_length(folder) == 0


def test_the_ticket_of_a_worker_that_died_does_not_hold_up_the_queue(tmp_path):
    folder = str(tmp_path / "reports")
    queue = os.path.join(folder, ".locks", "queue")
    os.makedirs(queue)
    # A ticket older than any new one, whose process is gone: nobody holds its lock.
    open(os.path.join(queue, f"{1:020d}.99999"), "wb").close()
    store = pdf_cache.PdfStore(folder, slots=1, wait_seconds=5)
    key = pdf_cache.PdfKey("91110000MA0000001X", 3, "zh", "R-20261107-0000000000000000", "http://x")
    started = time.monotonic()
    cached = store.get_or_render(key, lambda path: open(path, "wb").write(b"%PDF-1.7"))
    assert time.monotonic() - started < 2
    assert os.path.getsize(cached.path) == 8
    assert os.listdir(queue) == []
