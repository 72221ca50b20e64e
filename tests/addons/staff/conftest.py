"""Fixtures for the staff tools' pages: Debian's Chromium via Playwright.

The same browser as the widget tests (`chromium_browser` in tests/helpers): without
/usr/bin/chromium (or CHROMIUM_PATH) the browser tests are skipped with the reason
printed in pytest's summary; with CI=true they fail instead.
"""

from __future__ import annotations

import pytest

from tests.helpers.widget_helpers import chromium_browser


@pytest.fixture
def chromium():
    """A headless Chromium for opening a report page (no servers involved).

    Started and stopped around the one test that uses it: a Playwright left
    running keeps an event loop in this thread, and later tests that call
    asyncio.run (the retention command) or start their own browser would fail.
    """
    with chromium_browser("the report's browser test") as launched:
        yield launched
