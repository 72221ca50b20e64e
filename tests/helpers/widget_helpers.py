"""Constants and helpers shared by the widget tests."""

from __future__ import annotations

import json
import os
import re
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, List
from urllib.parse import urlsplit

import pytest

from tests.helpers.widget_servers import ROOT

# Debian's package; CHROMIUM_PATH only to try another build (or to see the skip)
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def need(condition: bool, reason: str) -> None:
    """Skips a browser test with the reason, or fails it when CI=true."""
    if condition:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: browser tests never skip in CI)")
    pytest.skip(reason)


@contextmanager
def chromium_browser(purpose: str) -> Iterator[Any]:
    """Debian's Chromium through Playwright, closed (and its event loop gone) on exit."""
    need(
        CHROMIUM.exists(),
        f"Chromium not found at {CHROMIUM}: install Debian's `chromium` "
        f"(apt-get install chromium) to run {purpose}",
    )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need(False, "playwright is not installed: run `make setup`")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


WIDGET_JS = ROOT / "build" / "widget" / "widget.js"
OUTPUT = ROOT / "test-output" / "widget"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
ANSWER_TIMEOUT_MS = 60_000  # a turn on a busy 2-core machine, with generous room


class PageWatch:
    """Every request and dialog of a page, for the no-third-party and no-script checks."""

    def __init__(self, page, allowed_origins: List[str]) -> None:
        self.urls: List[str] = []
        self.dialogs: List[str] = []
        self.errors: List[str] = []
        self.allowed = set(allowed_origins)
        page.on("request", lambda request: self.urls.append(request.url))
        page.on("websocket", lambda ws: self.urls.append(ws.url))
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def foreign(self) -> List[str]:
        out = []
        for url in self.urls:
            parts = urlsplit(url)
            if parts.scheme == "data":
                continue
            origin = f"{'http' if parts.scheme in ('http', 'ws') else 'https'}://{parts.netloc}"
            if origin not in self.allowed:
                out.append(url)
        return out


def open_widget(page):
    page.get_by_role("button", name="Chat with us").click()
    page.get_by_role("dialog").wait_for()
    # the greeting comes from the server's settings; then the conversation is live
    page.locator(".pc-bot").first.wait_for()
    return page


def bot_messages(page):
    return page.locator(".pc-log > .pc-bot")


def ask(page, text: str) -> None:
    """Types a question and sends it with Enter; returns once its answer is shown."""
    before = bot_messages(page).count()
    box = page.get_by_label("Your question")
    box.fill(text)
    box.press("Enter")
    wait_for_answer(page, before)


def wait_for_answer(page, count_before: int):
    bot_messages(page).nth(count_before).wait_for(timeout=ANSWER_TIMEOUT_MS)
    return bot_messages(page).nth(count_before)


def squash(text: str) -> str:
    return " ".join(text.split())


def first_sentence(text: str) -> str:
    return re.split(r"(?<=[.!?])\s", squash(text), maxsplit=1)[0]


def session_id(page) -> str:
    stored = page.evaluate("""() => Object.entries(localStorage)
        .filter(([k]) => k.startsWith('pulpcare-chat:')).map(([, v]) => v)[0] || null""")
    return json.loads(stored)["id"] if stored else ""


def focused(page) -> dict:
    """The element that has the focus, through shadow roots, and how it is drawn."""
    return page.evaluate("""() => {
        let el = document.activeElement;
        while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
        if (!el || el === document.body) return null;
        const style = getComputedStyle(el);
        return { tag: el.tagName.toLowerCase(), cls: el.className || '', id: el.id,
                 text: (el.textContent || '').trim().slice(0, 80),
                 label: el.getAttribute('aria-label') || '',
                 outline: style.outlineStyle, outlineWidth: parseFloat(style.outlineWidth) || 0,
                 matchesFocusVisible: el.matches(':focus-visible') };
    }""")


def unique_text() -> str:
    return uuid.uuid4().hex[:8]
