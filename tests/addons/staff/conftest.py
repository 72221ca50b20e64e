"""Fixtures for the staff tools' pages: Debian's Chromium via Playwright.

The same browser as the widget tests (tests/widget/conftest.py): without
/usr/bin/chromium (or CHROMIUM_PATH) the browser tests are skipped with the reason
printed in pytest's summary; with CI=true they fail instead.
"""

from __future__ import annotations

import os

import pytest

from tests.helpers.widget_helpers import CHROMIUM, CHROMIUM_ARGS


def _need(condition: bool, reason: str) -> None:
    if condition:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: browser tests never skip in CI)")
    pytest.skip(reason)


@pytest.fixture
def chromium():
    """A headless Chromium for opening a report page (no servers involved).

    Started and stopped around the one test that uses it: a Playwright left
    running keeps an event loop in this thread, and later tests that call
    asyncio.run (the retention command) or start their own browser would fail.
    """
    _need(
        CHROMIUM.exists(),
        f"Chromium not found at {CHROMIUM}: install Debian's `chromium` "
        "(apt-get install chromium) to run the report's browser test",
    )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _need(False, "playwright is not installed: run `make setup`")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()
