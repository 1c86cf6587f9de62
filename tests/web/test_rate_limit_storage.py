"""The memory:// rate-limit storage counts as limits' does, sweeps expired counters, and starts no thread."""

import threading
import time

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from portal.extensions import SweptMemoryStorage


def test_memory_storage_limits_without_starting_threads(monkeypatch):
    storage = storage_from_string("memory://")
    assert isinstance(storage, SweptMemoryStorage)
    started = []
    monkeypatch.setattr(threading.Thread, "start", lambda thread: started.append(thread))
    limiter = FixedWindowRateLimiter(storage)
    limit = parse("3 per minute")
    answers = []
    for _ in range(5):
        answers.append(limiter.hit(limit, "client"))
        time.sleep(0.02)  # longer than the library's 10 ms timer
    assert answers == [True, True, True, False, False]
    assert started == []


def test_expired_counters_are_swept_in_a_later_request(monkeypatch):
    storage = storage_from_string("memory://")
    clock = [1000.0]
    monkeypatch.setattr(time, "time", lambda: clock[0])
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    for client in range(50):
        storage.incr(f"client-{client}", expiry=60)
    clock[0] += 61 + SweptMemoryStorage.SWEEP_SECONDS
    storage.incr("someone-else", expiry=60)
    # Nobody read the 50 old counters again: the sweep dropped them.
    assert list(storage.storage) == ["someone-else"]
