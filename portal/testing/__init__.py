"""Helpers that the tests (tests/) and the benchmarks (bench/) share; the portal itself never imports them.

- live_server.py: the portal as deployed (demo data, ``flask sync run``,
  gunicorn) on a loopback port, and Chromium for Playwright;
- upload_bombs.py: hostile uploads (spreadsheet and image bombs), built in memory.
"""
