"""Fixtures for the chat widget: real servers, Debian's Chromium via Playwright.

Without /usr/bin/chromium the browser tests are skipped with the reason printed
in pytest's summary; with CI=true they fail instead (`.ci/run` installs it).
"""

from __future__ import annotations

from typing import Dict

import pytest

from tests.helpers.widget_helpers import (
    ANSWER_TIMEOUT_MS,
    DESKTOP,
    PageWatch,
    chromium_browser,
)


@pytest.fixture(scope="session")
def browser():
    with chromium_browser("the widget's browser tests") as launched:
        yield launched


@pytest.fixture
def open_page(browser, servers, practice_site, other_site, request):
    """Opens a page in a fresh browser context (empty storage) and checks, after
    the test, that it requested nothing from any third party and raised nothing."""
    contexts, watches = [], []

    def make(url: str = None, viewport: Dict[str, int] = None, reduced_motion: str = None):
        context = browser.new_context(
            viewport=viewport or DESKTOP, reduced_motion=reduced_motion or "no-preference"
        )
        context.set_default_timeout(ANSWER_TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        watch = PageWatch(page, [servers.base, practice_site.origin, other_site.origin])
        watches.append(watch)
        page.watch = watch
        page.goto(url or f"{servers.base}/widget/")
        return page

    yield make
    try:
        for watch in watches:
            assert not watch.foreign(), f"third-party requests: {watch.foreign()}"
            assert not watch.dialogs, f"a dialog opened: {watch.dialogs}"
            assert not watch.errors, f"errors in the page: {watch.errors}"
    finally:
        for context in contexts:
            context.close()
