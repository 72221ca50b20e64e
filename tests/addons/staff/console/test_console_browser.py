"""The staff console in Debian's Chromium, against the real Rasa and action servers.

One stack for the module: the action server and a Rasa server with REST, the practice
loop and the staff console (as credentials.yml opens them), a practice file whose
on-call contact is a mailbox on loopback (a real SMTP server), and a staff account
made with `accounts.create_user` on the server's tracker database.

The whole front-desk flow: sign in; a red flag sent over REST in the same test shows
in the inbox with its delivery; mark it handled; open its transcript; schedule a
check-in and cancel it; sign out. The pages run under their own CSP (no
`bypass_csp`): a script or style the policy blocked would show as a console error.
Screenshots of a desktop (1280x800) and a phone (390x844) go to
test-output/staff-console/; axe-core (run in a second context that bypasses the CSP
only to put axe into the page) finds no serious or critical violation on the inbox,
the check-ins and the transcript, on either screen.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Dict, List

import pytest
import sqlalchemy as sa
import yaml
from playwright.sync_api import expect

from common.paths import PROJECT_ROOT
from tests.helpers.live_servers import (
    action_server,
    base_env,
    post,
    rasa_server,
    start_all,
    stop_all,
    text_of,
    wait_http,
    wait_rasa,
)
from tests.helpers.smtp import Mailbox, smtp_server
from tests.helpers.widget_helpers import DESKTOP, PHONE, PageWatch, chromium_browser

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
ROOT = PROJECT_ROOT
OUTPUT = ROOT / "test-output" / "staff-console"
AXE = ROOT / "widget" / "node_modules" / "axe-core" / "axe.min.js"
ONCALL_EMAIL = "oncall@example.test"
STAFF = ("frontdesk@example.test", "a long front-desk password")
RED_FLAG = "his face is swollen up to his eye and he has a fever"
CHECKIN_PHONE = "(555) 234-5699"
TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    logs = tmp_path_factory.mktemp("staff_console_browser")
    with open(ROOT / "practice.yml", encoding="utf-8") as handle:
        practice = yaml.safe_load(handle)
    practice["on_call"] = {"email": [ONCALL_EMAIL]}
    practice_file = logs / "practice.yml"
    practice_file.write_text(yaml.safe_dump(practice, allow_unicode=True))
    box = Mailbox()
    smtp = smtp_server(box)
    tracker = logs / "tracker.db"
    env = base_env(
        PRACTICE_FILE=str(practice_file),
        TRACKER_SQLITE_PATH=str(tracker),
        SMS_STATE_FILE=str(logs / "sms_state.sqlite3"),
        SMTP_URL=f"smtp://127.0.0.1:{smtp.port}",
        DISPATCH_INTERVAL_SECONDS="1",
    )
    for name in (
        "CLOCK_FILE",
        "STAFF_URL",
        "STAFF_COOKIE_SECURE",
        "STAFF_SESSION_IDLE_MINUTES",
        "SHELL_TOKEN",
        "ALERT_EMAIL_FROM",
        "REST_TOKEN",
        "TWILIO_ACCOUNT_SID",
    ):
        env.pop(name, None)
    credentials = logs / "credentials.yml"
    credentials.write_text(
        "addons.channels.rest.RestInput:\n"
        "addons.practice.channel.PracticeLoopInput:\n"
        "addons.staff.console.channel.StaffConsoleInput:\n"
    )
    from addons.practice import db
    from addons.staff.console import accounts

    url = f"sqlite:///{tracker}"
    accounts.create_user(db.engine(url), *STAFF)
    actions = action_server(logs, env=env)
    rasa = rasa_server(
        logs,
        dict(env, ACTION_SERVER_URL=f"http://127.0.0.1:{actions.port}/webhook"),
        credentials=credentials,
    )
    try:
        start_all(actions, rasa)
        wait_http(f"http://127.0.0.1:{actions.port}/health", actions)
        wait_rasa(rasa)
        yield {"base": rasa.base, "url": url, "box": box, "practice": practice, "rasa": rasa}
    finally:
        stop_all(rasa, actions)
        smtp.stop()
        db.engine(url).dispose()


@pytest.fixture(scope="module")
def browser(stack):
    with chromium_browser("the staff console's browser tests") as launched:
        yield launched


@pytest.fixture
def open_page(browser, stack):
    """A page in a fresh context (the CSP enforced unless `for_axe`); after the test,
    no request left the server, no script error, no CSP report in the console."""
    contexts, pages = [], []

    def make(viewport: Dict[str, int] = DESKTOP, for_axe: bool = False):
        context = browser.new_context(viewport=viewport, bypass_csp=for_axe)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.watch = PageWatch(page, [stack["base"]])
        page.console_errors = []
        page.on(
            "console",
            lambda message: message.type == "error" and page.console_errors.append(message.text),
        )
        pages.append(page)
        return page

    yield make
    try:
        for page in pages:
            assert not page.watch.foreign(), f"third-party requests: {page.watch.foreign()}"
            assert not page.watch.errors, f"errors in the page: {page.watch.errors}"
            assert not page.watch.dialogs, f"a dialog opened: {page.watch.dialogs}"
            assert not page.console_errors, f"console errors: {page.console_errors}"
    finally:
        for context in contexts:
            context.close()


def sign_in(page, stack) -> None:
    page.goto(f"{stack['base']}/staff/")
    expect(page).to_have_url(re.compile(r"/staff/login$"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("E-mail").fill(STAFF[0])
    page.get_by_label("Password").fill(STAFF[1])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Inbox", level=1)).to_be_visible()


def run_axe(page) -> List[str]:
    """axe-core from the npm registry put into the page; serious and critical only."""
    page.evaluate(AXE.read_text())
    result = page.evaluate("async () => await axe.run(document, { resultTypes: ['violations'] })")
    return [
        f"{page.url}: {v['id']} ({v['impact']}): {v['help']} -> "
        f"{[n['target'] for n in v['nodes']][:4]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def card_of(page, words: str):
    return page.locator("li.card", has_text=words)


def tomorrow_at_ten(stack) -> str:
    from common.hours import PracticeHours

    zone = PracticeHours.from_practice(stack["practice"]).zone
    day = dt.datetime.now(zone).date() + dt.timedelta(days=1)
    return f"{day.isoformat()}T10:00"


def fits_the_width(page) -> bool:
    return bool(
        page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
    )


def shoot(page, name: str) -> None:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    path = OUTPUT / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000


# --- the front desk's whole flow ---------------------------------------------------------
def test_the_front_desk_flow(open_page, stack):
    page = open_page()
    sign_in(page, stack)

    # a parent's red flag over REST, in this test; its alert reaches the inbox
    sender = f"console-{uuid.uuid4().hex[:8]}"
    assert "911" in text_of(post(stack["base"], sender, RED_FLAG))
    stack["box"].wait_for(ONCALL_EMAIL, 1, timeout=30)
    page.get_by_role("link", name="Refresh").click()
    card = card_of(page, RED_FLAG)
    expect(card).to_have_count(1)
    expect(card.get_by_role("heading")).to_contain_text("EMERGENCY red flag")
    expect(card).to_contain_text("REST")
    expect(card).to_contain_text("Sent to 1 on-call contact")
    expect(card).to_contain_text(re.compile(r"Parent\s*id#[0-9a-f]{8}"))
    assert sender not in page.content()
    shoot(page, "desktop-inbox")

    # its details, then the conversation as the parent saw it
    card.get_by_role("link", name="Details").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("EMERGENCY")
    expect(page.get_by_text("The assistant told the parent to call 911")).to_be_visible()
    expect(page.get_by_role("cell", name="sent", exact=True)).to_be_visible()
    page.get_by_role("link", name="Open the conversation").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Conversation")
    parent = page.locator(".msg.parent", has_text=RED_FLAG)
    expect(parent).to_have_count(1)
    expect(parent).to_contain_text("EMERGENCY red flag")
    expect(page.locator(".msg.assistant").last).to_contain_text("911")
    expect(page.locator("dl.facts div", has_text="Red flags").locator("dd")).to_have_text("1")
    shoot(page, "desktop-conversation")

    # back to the inbox: mark it handled; who and when are recorded
    page.get_by_role("link", name="Inbox").first.click()
    card_of(page, RED_FLAG).get_by_role("button", name="Mark handled").click()
    expect(page.get_by_role("status")).to_have_text("Marked handled.")
    expect(card_of(page, RED_FLAG)).to_have_count(0)
    from addons.practice import db

    with db.engine(stack["url"]).connect() as connection:
        handled = connection.execute(
            sa.select(db.alerts.c.handled_at, db.alerts.c.handled_by).where(
                db.alerts.c.conversation_id == f"rest:{sender}"
            )
        ).one()
    assert handled.handled_by == STAFF[0] and handled.handled_at is not None

    # schedule a check-in, see it masked, cancel it
    page.get_by_role("link", name="Check-ins").click()
    expect(page.get_by_role("heading", name="Check-ins", level=1)).to_be_visible()
    page.get_by_label("Parent's mobile number").fill(CHECKIN_PHONE)
    page.get_by_label("Procedure").select_option("pulpectomy")
    page.get_by_label("When").fill(tomorrow_at_ten(stack))
    page.get_by_role("button", name="Schedule").click()
    expect(page.get_by_role("status")).to_have_text("Check-in scheduled.")
    row = page.locator("tr", has_text="+***-**99")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("pulpectomy")
    expect(row).to_contain_text("tomorrow 10:00 am")
    expect(row).to_contain_text(STAFF[0])
    assert "5552345699" not in page.content() and "234-5699" not in page.content()
    shoot(page, "desktop-checkins")
    row.get_by_role("button", name=re.compile(r"^Cancel the pulpectomy check-in")).click()
    expect(page.get_by_role("status")).to_have_text("Check-in cancelled.")
    still = page.locator("section", has=page.get_by_role("heading", name="Still to send"))
    expect(still.locator("tr", has_text="+***-**99")).to_have_count(0)
    recent = page.locator("section", has=page.get_by_role("heading", name=re.compile("^Recently")))
    expect(recent.locator("tr", has_text="+***-**99")).to_contain_text("cancelled")

    # sign out: the console is closed again
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_have_text("You are signed out.")
    page.goto(f"{stack['base']}/staff/checkins")
    expect(page).to_have_url(re.compile(r"/staff/login\?next=%2Fstaff%2Fcheckins$"))
    assert not [c for c in page.context.cookies() if c["name"] == "pulpcare_staff"]


# --- a phone, keyboard, and axe --------------------------------------------------------
def test_pages_on_a_phone_and_their_accessibility(open_page, stack):
    sender = f"phone-{uuid.uuid4().hex[:8]}"
    assert "911" in text_of(post(stack["base"], sender, RED_FLAG))
    from addons.staff.console.data import conversation_ref
    from common.conversations import conversation_id

    conversation = f"/staff/conversations/{conversation_ref(conversation_id('rest', sender))}"
    problems: List[str] = []
    for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page = open_page(viewport)
        sign_in(page, stack)
        expect(card_of(page, RED_FLAG).first).to_be_visible()
        for path, shot in (
            ("/staff/", "inbox"),
            ("/staff/checkins", "checkins"),
            (conversation, "conversation"),
        ):
            page.goto(stack["base"] + path)
            expect(page.locator("main h1")).to_be_visible()
            assert fits_the_width(page), f"{path} scrolls sideways on a {name}"
            if name == "phone":
                shoot(page, f"phone-{shot}")
        # axe, in a context that bypasses the CSP only to put axe into the page
        checker = open_page(viewport, for_axe=True)
        sign_in(checker, stack)
        for path in ("/staff/", "/staff/checkins", conversation, "/staff/review"):
            checker.goto(stack["base"] + path)
            expect(checker.locator("main h1")).to_be_visible()
            problems += run_axe(checker)
        checker.goto(stack["base"] + "/staff/login")  # signed in: straight to the inbox
        checker.get_by_role("button", name="Sign out").click()
        problems += run_axe(checker)  # the sign-in page
    assert not problems, "\n".join(problems)


def test_the_inbox_from_the_keyboard(open_page, stack):
    assert "911" in text_of(post(stack["base"], f"keys-{uuid.uuid4().hex[:8]}", RED_FLAG))
    page = open_page()
    sign_in(page, stack)
    page.keyboard.press("Tab")
    skip = page.evaluate("() => document.activeElement.textContent.trim()")
    assert skip == "Skip to content"
    seen = []
    for _ in range(60):
        page.keyboard.press("Tab")
        element = page.evaluate(
            """() => { const el = document.activeElement; const s = getComputedStyle(el);
            return { text: (el.textContent || el.value || '').trim().slice(0, 40),
                     outline: s.outlineStyle, width: parseFloat(s.outlineWidth) || 0 }; }"""
        )
        seen.append(element)
        if element["text"] == "Mark handled":
            break
    else:
        pytest.fail(f"Tab never reached a Mark handled button: {[e['text'] for e in seen]}")
    assert all(e["outline"] != "none" and e["width"] >= 2 for e in seen), seen
    texts = [e["text"] for e in seen]
    assert "Inbox" in texts and "Check-ins" in texts and "Sign out" in texts
