"""Fixtures for the chat widget: real servers, Debian's Chromium via Playwright.

Without /usr/bin/chromium the browser tests are skipped with the reason printed
in pytest's summary; with CI=true they fail instead (`.ci/run` installs it).
"""

from __future__ import annotations

import os
from typing import Dict

import pytest

from tests.helpers.widget_helpers import (
    ANSWER_TIMEOUT_MS,
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    PageWatch,
)


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def _need(condition: bool, reason: str) -> None:
    if condition:
        return
    if _in_ci():
        pytest.fail(f"{reason} (CI=true: the widget's browser tests never skip in CI)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    _need(
        CHROMIUM.exists(),
        f"Chromium not found at {CHROMIUM}: install Debian's `chromium` "
        "(apt-get install chromium) to run the widget's browser tests",
    )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _need(False, "playwright is not installed: run `make setup`")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


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
