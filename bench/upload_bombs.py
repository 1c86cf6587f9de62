"""Upload bombs against the portal in production mode: the home page must keep answering within 1 s.

    .venv/bin/python bench/upload_bombs.py                 # 4 workers, 8 clients bombing for 20 s
    .venv/bin/python bench/upload_bombs.py --seconds 5 --workers 2

Sets up the portal as deployed (demo data, ``flask db upgrade``, ``flask sync
run``; see ``portal/testing/live_server.py``) and starts gunicorn with
gunicorn.conf.py in production mode: ``PORTAL_ENV=production`` with its
secrets given in the environment (and ``PUBLIC_BASE_URL``/``TRUSTED_HOSTS``
for the loopback address, which production may require). Every request goes
to 127.0.0.1. Then, while a thread fetches the home page every 50 ms:

1. the spreadsheet bomb of the attack (a 1.6 KB .xlsx declaring A1:XFD1048576,
   with its corner cell) is posted to /batch by 8 clients at once, each posting
   it again as soon as it is answered, for ``--seconds`` seconds;
2. 8 different bombs at once: a shared-strings table that unpacks to 100 MB,
   1,000 sheets, a 10 MB cell, a row numbered 1,048,576, a row of 16,384 cells,
   a ZIP archive that is no workbook, a CSV line of 100 MB sent chunked;
3. 8 JSON bodies of 100 MB sent chunked to /api/v1/batch-check.

Prints the home page's latency (max, p50, p99, and the ratio of the max to the
quiet p50 measured first in the same run), each bomb's status and time, and the
workers' peak RSS and its growth during the bombs (VmHWM, per worker). Goals:
every bomb refused with a 4xx, the home page's slowest answer under 1 s, and
no worker's peak RSS more than 50 MB above its peak before the bombs. Exits
non-zero if a goal is missed.

The batch limit per client address is raised for the run (BATCH_RATE_LIMIT):
one loopback client sends every bomb, and a 429 would hide the cost of parsing.
"""

import argparse
import http.client
import os
import secrets
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from portal.testing import upload_bombs as bombs  # noqa: E402
from portal.testing.live_server import LiveServer  # noqa: E402

HOME_GOAL_SECONDS = 1.0
RSS_GROWTH_GOAL_MB = 50.0
PARALLEL = 8


class ProductionServer(LiveServer):
    """The live server in production mode, with the secrets production asks for."""

    def environment(self):
        env = super().environment()
        env.update(
            PORTAL_ENV="production",
            SECRET_KEY=secrets.token_urlsafe(32),
            # Production serves https: plain http on loopback needs the session cookie without Secure.
            SESSION_COOKIE_SECURE="0",
            PUBLIC_BASE_URL="http://127.0.0.1",
            TRUSTED_HOSTS="127.0.0.1,localhost",
            BATCH_RATE_LIMIT="100000 per hour",
            API_BATCH_RATE_LIMIT="100000 per hour",
            WEB_ACCESS_LOG="/dev/null",
        )
        return env


def connection(base_url, timeout=60):
    host, port = base_url.removeprefix("http://").split(":")
    return http.client.HTTPConnection(host, int(port), timeout=timeout)


def multipart(name, content_chunks, boundary):
    yield (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    yield from content_chunks
    yield f"\r\n--{boundary}--\r\n".encode()


def post(base_url, path, chunks, content_type, length=None):
    """POST chunks (with Content-Length if ``length`` is known, chunked otherwise); return (status, seconds)."""
    started = time.perf_counter()
    client = connection(base_url)
    headers = {"Content-Type": content_type, "Accept-Language": "en"}
    if length is not None:
        headers["Content-Length"] = str(length)
    try:
        try:
            client.request("POST", path, body=chunks, headers=headers, encode_chunked=length is None)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server refused the body before it ended; its answer may still be readable
        try:
            response = client.getresponse()
            response.read()
            status = response.status
        except (ConnectionResetError, http.client.HTTPException, OSError):
            status = "reset"
    finally:
        client.close()
    return status, time.perf_counter() - started


def post_file(base_url, name, content):
    boundary = uuid.uuid4().hex
    body = b"".join(multipart(name, [content], boundary))
    return post(base_url, "/batch", [body], f"multipart/form-data; boundary={boundary}", len(body))


def post_streamed_csv(base_url):
    boundary = uuid.uuid4().hex
    chunks = multipart("huge.csv", bombs.csv_with_one_long_line(), boundary)
    return post(base_url, "/batch", chunks, f"multipart/form-data; boundary={boundary}")


def json_chunks(megabytes=100):
    yield b'{"values": ['
    for _ in range(megabytes * 64):
        yield b'"ab",' * 3276
    yield b'"ab"]}'


def post_streamed_json(base_url):
    return post(base_url, "/api/v1/batch-check", json_chunks(), "application/json")


def sustained_bombing(base_url, content, seconds):
    """Have PARALLEL clients post ``content`` to /batch, each again as soon as answered; return (status, seconds)s."""
    deadline = time.monotonic() + seconds

    def client():
        results = []
        while time.monotonic() < deadline:
            results.append(post_file(base_url, "bomb.xlsx", content))
        return results

    with ThreadPoolExecutor(PARALLEL) as pool:
        return [result for results in pool.map(lambda _: client(), range(PARALLEL)) for result in results]


class HomePoller:
    """Fetch the home page every 50 ms from its own thread; keep each answer's status and latency."""

    def __init__(self, base_url):
        self.base_url = base_url
        self.samples = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def fetch(self):
        started = time.perf_counter()
        client = connection(self.base_url, timeout=30)
        try:
            client.request("GET", "/", headers={"Accept-Language": "zh"})
            response = client.getresponse()
            response.read()
            status = response.status
        except OSError as error:
            status = type(error).__name__
        finally:
            client.close()
        return status, time.perf_counter() - started

    def _run(self):
        while not self._stop.is_set():
            self.samples.append(self.fetch())
            self._stop.wait(0.05)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join()


def workers_of(master_pid):
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == master_pid:
                        pids.append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    return pids


def peak_rss_mb(pids):
    """Return {pid: VmHWM in MB} of the processes still alive."""
    peaks = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        peaks[pid] = int(line.split()[1]) / 1024
        except OSError:
            continue
    return peaks


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def latency_line(samples):
    times = [seconds for _status, seconds in samples]
    return (f"{len(times)} answers, p50 {percentile(times, 0.5) * 1000:.0f} ms, "
            f"p99 {percentile(times, 0.99) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orgs", type=int, default=600)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4, as attacked)")
    parser.add_argument("--seconds", type=float, default=20, help="seconds of 8 clients posting the bomb (default 20)")
    arguments = parser.parse_args()

    dimension_bomb = bombs.dimension_bomb()
    mixed = [
        ("dimension bomb", lambda url: post_file(url, "bomb.xlsx", dimension_bomb)),
        ("shared strings of 100 MB", lambda url, data=bombs.shared_strings_bomb(): post_file(url, "s.xlsx", data)),
        ("1,000 sheets", lambda url, data=bombs.many_sheets(): post_file(url, "sheets.xlsx", data)),
        ("a 10 MB cell", lambda url, data=bombs.big_cell(): post_file(url, "cell.xlsx", data)),
        ("row 1,048,576", lambda url, data=bombs.row_far_below(): post_file(url, "far.xlsx", data)),
        ("a row of 16,384 cells", lambda url, data=bombs.wide_row(): post_file(url, "wide.xlsx", data)),
        ("a ZIP that is no workbook", lambda url, data=bombs.zip_of_something_else(): post_file(url, "z.xlsx", data)),
        ("a CSV line of 100 MB, chunked", post_streamed_csv),
    ]
    failures = []
    server = ProductionServer(orgs=arguments.orgs, seed=1, workers=arguments.workers, access_log=False)
    with server:
        pids = workers_of(server.process.pid)
        print(f"production mode, {len(pids)} workers at {server.base_url}; load average {os.getloadavg()[0]:.1f}")
        # Warm every worker: imports, templates, the page cache, one honest file of each kind parsed.
        with ThreadPoolExecutor(PARALLEL) as pool:
            honest = [("ok.xlsx", bombs.plain_workbook()), ("ok.csv", f"uscc\r\n{bombs.CODE}\r\n".encode())]
            list(pool.map(lambda file: post_file(server.base_url, *file), honest * 2 * arguments.workers))
            list(pool.map(lambda _: HomePoller(server.base_url).fetch(), range(4 * arguments.workers)))
        quiet = HomePoller(server.base_url)
        with quiet:
            time.sleep(3)
        quiet_p50 = percentile([seconds for _status, seconds in quiet.samples], 0.5)
        print(f"home page, quiet: {latency_line(quiet.samples)}")
        before = peak_rss_mb(pids)
        print(f"workers' peak RSS before the bombs: {', '.join(f'{mb:.0f}' for mb in before.values())} MB")

        rounds = [
            ("8 different bombs at once", mixed),
            (f"JSON of 100 MB, chunked, to /api/v1/batch-check x {PARALLEL}",
             [("JSON of 100 MB", post_streamed_json)] * PARALLEL),
        ]
        with HomePoller(server.base_url) as poller:
            time.sleep(0.3)
            sustained = sustained_bombing(server.base_url, dimension_bomb, arguments.seconds)
            statuses = {}
            for status, _seconds in sustained:
                statuses[status] = statuses.get(status, 0) + 1
            times = [seconds for _status, seconds in sustained]
            print(f"\nthe dimension bomb, {PARALLEL} clients for {arguments.seconds:.0f} s: {len(sustained)} posts, "
                  f"statuses {statuses}, p50 {percentile(times, 0.5) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms")
            failures += [f"the dimension bomb answered {status} {count} times"
                         for status, count in statuses.items() if status != 400]
            for title, bombs_of_round in rounds:
                started = time.perf_counter()
                with ThreadPoolExecutor(PARALLEL) as pool:
                    results = list(pool.map(lambda bomb: (bomb[0], *bomb[1](server.base_url)), bombs_of_round))
                print(f"\n{title}: {time.perf_counter() - started:.2f} s")
                for name, status, seconds in results:
                    print(f"  {name:32} {status}  {seconds * 1000:6.0f} ms")
                    refused = status == "reset" or (isinstance(status, int) and 400 <= status < 500)
                    if not refused:
                        failures.append(f"{name} answered {status}")
            time.sleep(0.3)
        after = peak_rss_mb(pids)

        home_times = [seconds for _status, seconds in poller.samples]
        errors = [status for status, _seconds in poller.samples if status != 200]
        print(f"\nhome page during the bombs: {latency_line(poller.samples)}; "
              f"max / quiet p50 = {max(home_times) / quiet_p50:.1f}")
        if errors:
            failures.append(f"the home page answered {len(errors)} times with something else than 200: {errors[:5]}")
        if max(home_times) >= HOME_GOAL_SECONDS:
            failures.append(f"the home page took {max(home_times):.2f} s (goal < {HOME_GOAL_SECONDS:.0f} s)")
        growth = {pid: after[pid] - before[pid] for pid in before if pid in after}
        print("workers' peak RSS after the bombs: "
              + ", ".join(f"{after[pid]:.0f} MB (+{growth[pid]:.1f})" for pid in growth))
        if len(growth) < len(before):
            failures.append(f"{len(before) - len(growth)} workers died or were replaced during the bombs")
        if growth and max(growth.values()) >= RSS_GROWTH_GOAL_MB:
            failures.append(f"a worker's peak RSS grew by {max(growth.values()):.1f} MB (goal < {RSS_GROWTH_GOAL_MB:.0f})")
    print()
    if failures:
        print("verdict: goals missed:\n  " + "\n  ".join(failures))
        sys.exit(1)
    print(f"verdict: all goals met: every bomb refused, the home page's slowest answer "
          f"{max(home_times) * 1000:.0f} ms, the largest growth of a worker's peak RSS "
          f"{max(growth.values()):.1f} MB")


if __name__ == "__main__":
    main()
