"""Playwright's ``expect`` for the browser tests, or a skip of the importing module without Playwright.

On a developer's machine without Playwright for Python the browser tests are
skipped; in CI (``CI`` set) the import error fails the run instead.
conftest.py's fixtures say the same; importing this first keeps collection
from erroring before them.
"""

import pytest

from portal.testing.live_server import IN_CI

try:
    from playwright.sync_api import expect
except ImportError:
    if IN_CI:
        raise
    pytest.skip("browser tests need Playwright for Python (requirements-dev.txt)", allow_module_level=True)

__all__ = ["expect"]
