"""The staff console's security, end to end: one real Rasa server (REST and the staff
console, as credentials.yml opens them) on a SQLite tracker database seeded with a
red-flag SMS conversation, its alert, a callback request and a check-in.

* Every route of the console's blueprint (enumerated from the blueprint itself, so a
  new route is walked too) is asked without a cookie, with a forged cookie, with a
  session ended by inactivity, one past its 12 hours and one of a disabled account:
  GET is sent to the sign-in page, POST gets 403, no page holds the seeded parent's
  words or numbers, and nothing changes.
* Every POST is refused without its CSRF token, with a wrong one and with another
  session's (403, nothing changes); the sign-in and invitation forms' own token
  (double submit) is checked as well.
* Staff cannot use the admin pages; the lock-out after 5 failed sign-ins for one
  account (and 20 from one address) says when to try again, and that time holds;
  a revealed number is audited and shown on that response only.
* A password, a session token or a CSRF token never appears in the server's log, and
  a password in no page; every response under /staff/ carries the CSP and the other
  headers; the cookies are HttpOnly, SameSite=Strict, Path=/staff, and Secure behind
  HTTPS.

Behind a proxy the console sees the client's address through Sanic's forwarded
settings: the server runs with SANIC_PROXIES_COUNT=1, so each test picks its own
address (X-Forwarded-For) and the address throttle of one does not lock another.
"""

from __future__ import annotations

import datetime as dt
import http.client
import re
import secrets
import time
import urllib.parse
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import pytest
import sqlalchemy as sa

from common.paths import PROJECT_ROOT
from tests.helpers.live_servers import base_env, rasa_server, stop_all

pytestmark = pytest.mark.e2e
ROOT = PROJECT_ROOT

PARENT_PHONE = "+15550107788"
CALLED_AT = "555-010-7766"  # a number the parent typed in a message
CHECKIN_PHONE = "+15550109911"
PARENT_WORDS = "Quillonby swollen up to his eye"
RED_FLAG_TEXT = f"{PARENT_WORDS}, call me at {CALLED_AT}"
SECRETS = (
    PARENT_PHONE,
    "5550107788",
    "555-010-7788",
    CALLED_AT,
    "5550107766",
    CHECKIN_PHONE,
    "5550109911",
    "Quillonby",
)
ADMIN = ("admin@example.test", "admin password, long enough")
STAFF = ("desk@example.test", "front desk password 42")
GONE = ("gone@example.test", "disabled person password")
LOCKED = ("locked@example.test", "the locked one's password")
WRONG = "wrong password, surely 9"
PASSWORDS = (ADMIN[1], STAFF[1], GONE[1], LOCKED[1], WRONG)
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
PUBLIC = {"/login", "/invite/<token:str>", "/static/<name:str>"}


# --- a client that shows every answer as it is (no redirects followed) -------------
@dataclass
class Reply:
    method: str
    path: str
    status: int
    headers: List[Tuple[str, str]]
    body: str
    https: bool = False  # asked as if through an HTTPS proxy

    def header(self, name: str) -> str:
        return next((v for k, v in self.headers if k.lower() == name.lower()), "")

    def cookies(self) -> List[str]:
        return [v for k, v in self.headers if k.lower() == "set-cookie"]


SEEN: List[Reply] = []  # every answer of the module: the header and password checks


class Client:
    """A browser's requests: cookies kept, forms posted, one client address."""

    def __init__(self, port: int, address: str, https: bool = False) -> None:
        self.port = port
        self.address = address
        self.https = https
        self.cookies: Dict[str, str] = {}

    def request(
        self,
        method: str,
        path: str,
        form: Optional[Dict[str, str]] = None,
        cookies: Optional[Dict[str, str]] = None,
    ) -> Reply:
        headers = {"X-Forwarded-For": self.address}
        if self.https:
            headers["X-Forwarded-Proto"] = "https"
        jar = self.cookies if cookies is None else cookies
        if jar:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in jar.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            connection.request(method, path, body=body, headers=headers)
            answer = connection.getresponse()
            reply = Reply(
                method,
                path,
                answer.status,
                answer.getheaders(),
                answer.read().decode("utf-8", "replace"),
                self.https,
            )
        finally:
            connection.close()
        SEEN.append(reply)
        if cookies is None:
            for line in reply.cookies():
                name, _, rest = line.partition("=")
                value = rest.split(";", 1)[0].strip('"')
                if "max-age=0" in line.lower() or not value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = value
        return reply

    def get(self, path: str, **kwargs) -> Reply:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, form: Dict[str, str], **kwargs) -> Reply:
        return self.request("POST", path, form=form, **kwargs)

    def sign_in(self, email: str, password: str) -> Reply:
        page = self.get("/staff/login")
        assert page.status == 200, page.status
        return self.post(
            "/staff/login",
            {"csrf": form_field(page.body, "csrf"), "email": email, "password": password},
        )

    def csrf(self) -> str:
        page = self.get("/staff/")
        assert page.status == 200, (page.status, page.header("location"))
        return form_field(page.body, "csrf")


def form_field(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no {name} field"
    return match.group(1)


def no_secrets(reply: Reply) -> None:
    for secret in SECRETS:
        assert secret not in reply.body, f"{secret!r} in {reply.method} {reply.path}"


# --- the server ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    logs = tmp_path_factory.mktemp("staff_console_security")
    tracker = logs / "tracker.db"
    url = f"sqlite:///{tracker}"
    seeded = seed(url)
    clock_file = logs / "clock.txt"
    env = base_env(
        TRACKER_SQLITE_PATH=str(tracker),
        SMS_STATE_FILE=str(logs / "sms_state.sqlite3"),
        SANIC_PROXIES_COUNT="1",
        CLOCK_FILE=str(clock_file),  # absent: real time; the lock-out test moves it
        DISPATCH_INTERVAL_SECONDS="1",
    )
    for name in ("STAFF_COOKIE_SECURE", "STAFF_SESSION_IDLE_MINUTES", "STAFF_URL", "REST_TOKEN"):
        env.pop(name, None)
    credentials = logs / "credentials.yml"
    credentials.write_text(
        "addons.channels.rest.RestInput:\n"
        "addons.practice.channel.PracticeLoopInput:\n"
        "addons.staff.console.channel.StaffConsoleInput:\n"
    )
    rasa = rasa_server(logs, env, credentials=credentials)
    try:
        rasa.start()
        wait_console(rasa)
        yield {
            "port": rasa.port,
            "rasa": rasa,
            "url": url,
            "clock": clock_file,
            **seeded,
        }
    finally:
        stop_all(rasa)
        from addons.practice import db

        db.engine(url).dispose()


def wait_console(rasa, seconds: float = 300) -> None:
    """Until the console answers its sign-in page (its database is open)."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        if not rasa.alive():
            raise RuntimeError(f"the Rasa server exited:\n{rasa.log_tail()}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", rasa.port, timeout=5)
            connection.request("GET", "/staff/login")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise TimeoutError(rasa.log_tail())


def seed(url: str) -> Dict[str, object]:
    """The conversation, its alert, a callback request, a check-in and the accounts."""
    from addons.practice import alerts, checkins, db
    from addons.staff.console import accounts
    from addons.staff.console.data import conversation_ref
    from tests.helpers.tracker_seed import Session, Turn
    from tests.helpers.tracker_seed import seed as seed_events

    conversation = f"sms:{PARENT_PHONE}"
    now = time.time()
    seed_events(
        url,
        {
            conversation: [
                Session(
                    start=now - 600,
                    channel="twilio",
                    turns=[
                        Turn(
                            "my son had a pulpotomy", "inform_procedure", topic="what_is_pulpotomy"
                        ),
                        Turn(
                            RED_FLAG_TEXT,
                            "red_flag",
                            red_flag="emergency",
                            action="action_red_flag",
                        ),
                    ],
                )
            ]
        },
    )
    engine = db.engine(url)
    alert_id = alerts.raise_alert(
        kind="red_flag",
        severity="emergency",
        conversation_id=conversation,
        channel="twilio",
        words=RED_FLAG_TEXT,
        message_key="seeded-1",
        engine=engine,
        practice={},
    )
    assert alert_id is not None
    with engine.begin() as connection:
        callback_id = connection.execute(
            db.callbacks.insert().values(
                conversation_id=conversation,
                channel="twilio",
                phone=PARENT_PHONE,
                language="en",
                words=f"{PARENT_WORDS}: please call",
                status="requested",
                created_at=dt.datetime.now(dt.timezone.utc),
            )
        ).inserted_primary_key[0]
    checkin = checkins.schedule(CHECKIN_PHONE, "pulpotomy", "2d", engine=engine, practice={})[0]
    ids = {}
    for email, password, role in (
        (*ADMIN, "admin"),
        (*STAFF, "staff"),
        (*GONE, "staff"),
        (*LOCKED, "staff"),
    ):
        ids[email] = accounts.create_user(engine, email, password, role)
    return {
        "conversation": conversation,
        "ref": conversation_ref(conversation),
        "alert_id": alert_id,
        "callback_id": int(callback_id),
        "checkin_id": checkin.id,
        "user_ids": ids,
    }


def engine_of(stack):
    from addons.practice import db

    return db.engine(stack["url"])


# --- the routes, from the blueprint itself ------------------------------------------------
def console_routes() -> List[Tuple[str, str]]:
    """(uri under /staff, method) of every route of the console's blueprint."""
    from addons.staff.console.web import blueprint

    routes = blueprint()._future_routes
    found = sorted({(route.uri, method) for route in routes for method in route.methods})
    assert len(found) >= 20, found
    return found


def concrete(stack, uri: str) -> str:
    """The route's URI with real values for its parameters (an unknown one fails:
    a new route parameter needs a value here)."""
    values = {
        "alert_id": str(stack["alert_id"]),
        "callback_id": str(stack["callback_id"]),
        "checkin_id": str(stack["checkin_id"]),
        "user_id": str(stack["user_ids"][STAFF[0]]),
        "ref": stack["ref"],
        "token": "not-an-invitation-token",
        "name": "console.css",
    }

    def fill(match: "re.Match[str]") -> str:
        name = match.group(1)
        assert name in values, f"route parameter {name!r} has no test value: add one"
        return values[name]

    path = re.sub(r"<(\w+)(?::[^>]*)?>", fill, uri)
    return "/staff" + (path if path != "/" else "/")


def state(stack) -> Dict[str, object]:
    """What a refused request must not change."""
    from addons.practice import db
    from addons.staff.console.tables import staff_audit, staff_invitations, staff_users

    engine = engine_of(stack)
    with engine.connect() as connection:
        return {
            "alert": connection.execute(
                sa.select(db.alerts.c.handled_at).where(db.alerts.c.id == stack["alert_id"])
            ).scalar(),
            "callback": connection.execute(
                sa.select(db.callbacks.c.status).where(db.callbacks.c.id == stack["callback_id"])
            ).scalar(),
            "checkins": connection.execute(
                sa.select(db.checkins.c.id, db.checkins.c.status).order_by(db.checkins.c.id)
            ).all(),
            "users": connection.execute(
                sa.select(staff_users.c.email, staff_users.c.disabled_at).order_by(staff_users.c.id)
            ).all(),
            "invitations": connection.execute(
                sa.select(sa.func.count()).select_from(staff_invitations)
            ).scalar(),
            "changes": connection.execute(
                sa.select(sa.func.count())
                .select_from(staff_audit)
                .where(
                    staff_audit.c.action.notin_(
                        ("sign_in", "sign_in_failed", "lockout", "sign_out")
                    )
                )
            ).scalar(),
        }


def fresh_session(stack, client: Client, who: Tuple[str, str]) -> str:
    """Signs `who` in; returns the session's CSRF token."""
    reply = client.sign_in(*who)
    assert reply.status == 303, (reply.status, reply.body[:300])
    assert "pulpcare_staff" in client.cookies
    return client.csrf()


def age_session(stack, token: str, **shift: dt.timedelta) -> None:
    """Moves a stored session's times back (as if that much time had passed)."""
    from addons.staff.console.tables import staff_sessions, token_hash

    engine = engine_of(stack)
    table = staff_sessions
    with engine.begin() as connection:
        row = connection.execute(sa.select(table).where(table.c.id_hash == token_hash(token))).one()
        values = {column: getattr(row, column) - delta for column, delta in shift.items()}
        connection.execute(
            table.update().where(table.c.id_hash == token_hash(token)).values(**values)
        )


# --- every route, without a valid session ---------------------------------------------------
def refused_everywhere(stack, client: Client, csrf: str) -> None:
    before = state(stack)
    for uri, method in console_routes():
        path = concrete(stack, uri)
        form = {"csrf": csrf, "back": "/staff/", "email": "x@example.test", "role": "admin"}
        form.update(phone="+15550100100", procedure="pulpotomy", password="p" * 14)
        reply = client.request(method, path, form=form if method == "POST" else None)
        no_secrets(reply)
        if uri in PUBLIC:
            if method == "POST":  # the sign-in and invitation forms: their own CSRF check
                assert reply.status == 403, (method, path, reply.status)
            continue
        if method == "GET":
            assert reply.status == 302, (method, path, reply.status)
            assert reply.header("location").startswith("/staff/login"), reply.header("location")
            assert reply.body == ""
        else:
            assert reply.status == 403, (method, path, reply.status)
    assert state(stack) == before


def test_the_walk_covers_every_kind_of_route(stack):
    routes = console_routes()
    uris = {uri for uri, _ in routes}
    for expected in (
        "/",
        "/alerts/<alert_id:int>",
        "/alerts/<alert_id:int>/handled",
        "/callbacks/<callback_id:int>/handled",
        "/checkins",
        "/checkins/<checkin_id:int>/cancel",
        "/conversations/<ref:str>",
        "/conversations/<ref:str>/reveal",
        "/review",
        "/review/download",
        "/users",
        "/audit",
        "/logout",
    ):
        assert expected in uris, expected
    assert {m for _, m in routes} == {"GET", "POST"}


def test_every_route_refused_without_a_cookie(stack):
    refused_everywhere(stack, Client(stack["port"], "10.0.1.1"), secrets.token_urlsafe(32))


def test_every_route_refused_with_a_forged_cookie(stack):
    client = Client(stack["port"], "10.0.1.2")
    for forged in (secrets.token_urlsafe(32), "", "x" * 300, "' OR 1=1 --"):
        client.cookies = {"pulpcare_staff": urllib.parse.quote(forged)}
        refused_everywhere(stack, client, secrets.token_urlsafe(32))


@pytest.mark.parametrize(
    "how",
    ["idle", "too_old", "disabled"],
)
def test_every_route_refused_with_an_ended_session(stack, how):
    from addons.staff.console import accounts

    client = Client(stack["port"], f"10.0.2.{['idle', 'too_old', 'disabled'].index(how) + 1}")
    who = GONE if how == "disabled" else STAFF
    csrf = fresh_session(stack, client, who)
    token = client.cookies["pulpcare_staff"]
    assert client.get("/staff/").status == 200  # the session works...
    if how == "idle":  # ...until 30 minutes pass without a request
        age_session(stack, token, last_seen_at=dt.timedelta(minutes=31))
    elif how == "too_old":  # ...or 12 hours after sign-in, however active
        age_session(
            stack,
            token,
            created_at=dt.timedelta(hours=12, minutes=1),
            expires_at=dt.timedelta(hours=12, minutes=1),
        )
    else:  # ...or its account is disabled
        assert accounts.disable_user(engine_of(stack), GONE[0])
    refused_everywhere(stack, client, csrf)


# --- CSRF ---------------------------------------------------------------------------------
def test_every_post_refused_without_its_csrf_token(stack):
    admin, other = Client(stack["port"], "10.0.3.1"), Client(stack["port"], "10.0.3.2")
    csrf = fresh_session(stack, admin, ADMIN)
    their_csrf = fresh_session(stack, other, STAFF)
    assert their_csrf != csrf
    before = state(stack)
    posts = [uri for uri, method in console_routes() if method == "POST"]
    for uri in posts:
        path = concrete(stack, uri)
        base = {"back": "/staff/", "email": "new@example.test", "role": "staff"}
        base.update(phone="+15550100100", procedure="pulpotomy", password="p" * 14)
        base.update(password_again="p" * 14)
        for token in (None, "", secrets.token_urlsafe(32), their_csrf, csrf + "x", csrf[:-1]):
            form = dict(base) if token is None else dict(base, csrf=token)
            reply = admin.post(path, form)
            assert reply.status == 403, (path, token, reply.status)
            no_secrets(reply)
    assert state(stack) == before
    assert admin.get("/staff/").status == 200  # the session itself is still good


def test_the_sign_in_form_checks_its_own_csrf_token(stack):
    client = Client(stack["port"], "10.0.3.3")
    page = client.get("/staff/login")
    token = form_field(page.body, "csrf")
    assert client.cookies["pulpcare_staff_form"] == token
    form = {"email": STAFF[0], "password": STAFF[1]}
    assert client.post("/staff/login", form).status == 403  # no field
    assert client.post("/staff/login", dict(form, csrf=secrets.token_urlsafe(32))).status == 403
    # a form from another browser: its field without this browser's cookie
    stranger = Client(stack["port"], "10.0.3.3")
    assert stranger.post("/staff/login", dict(form, csrf=token)).status == 403
    assert "pulpcare_staff" not in client.cookies and "pulpcare_staff" not in stranger.cookies
    reply = client.post("/staff/login", dict(form, csrf=token))
    assert reply.status == 303 and "pulpcare_staff" in client.cookies


def test_staff_cannot_use_the_admin_pages(stack):
    client = Client(stack["port"], "10.0.4.1")
    csrf = fresh_session(stack, client, STAFF)
    before = state(stack)
    for path in ("/staff/users", "/staff/audit"):
        reply = client.get(path)
        assert reply.status == 403 and "admins only" in reply.body
        assert ADMIN[0] not in reply.body
    target = stack["user_ids"][ADMIN[0]]
    for path in (
        "/staff/users/invite",
        f"/staff/users/{target}/disable",
        f"/staff/users/{target}/enable",
    ):
        reply = client.post(path, {"csrf": csrf, "email": "sneaky@example.test", "role": "admin"})
        assert reply.status == 403, path
    assert state(stack) == before
    assert "/staff/users" not in client.get("/staff/").body  # not offered in the menu


# --- what a signed-in person sees, and what is recorded ------------------------------------------
def test_numbers_are_masked_unless_revealed_and_a_reveal_is_audited(stack):
    from addons.staff.console import audit

    client = Client(stack["port"], "10.0.5.1")
    csrf = fresh_session(stack, client, STAFF)
    inbox = client.get("/staff/")
    assert PARENT_WORDS in inbox.body and "+***-**88" in inbox.body and "+***-**66" in inbox.body
    conversation = f"/staff/conversations/{stack['ref']}"
    for path in ("/staff/", f"/staff/alerts/{stack['alert_id']}", conversation, "/staff/checkins"):
        page = client.get(path)
        assert page.status == 200, path
        for number in (PARENT_PHONE, "5550107788", CALLED_AT, CHECKIN_PHONE):
            assert number not in page.body, (number, path)
    page = client.get(conversation)
    assert "EMERGENCY red flag" in page.body and "Quillonby" in page.body
    assert "answer: " in page.body  # the answer's topic is shown

    shown = client.post(f"{conversation}/reveal", {"csrf": csrf})
    assert shown.status == 200
    assert PARENT_PHONE in shown.body and CALLED_AT in shown.body
    assert "recorded in the audit log" in shown.body
    again = client.get(conversation)
    assert PARENT_PHONE not in again.body and CALLED_AT not in again.body
    rows = audit.recent(engine_of(stack), 20, action="phone_revealed")
    assert rows and rows[0].user_email == STAFF[0] and rows[0].address == "10.0.5.1"
    assert PARENT_PHONE not in rows[0].target + rows[0].detail


def test_changes_are_made_with_a_valid_token_and_audited(stack):
    from addons.practice import db
    from addons.staff.console import audit

    client = Client(stack["port"], "10.0.5.2")
    csrf = fresh_session(stack, client, STAFF)
    reply = client.post(
        f"/staff/alerts/{stack['alert_id']}/handled", {"csrf": csrf, "back": "/staff/"}
    )
    assert reply.status == 303 and reply.header("location") == "/staff/?done=handled"
    with engine_of(stack).connect() as connection:
        row = connection.execute(
            sa.select(db.alerts.c.handled_at, db.alerts.c.handled_by).where(
                db.alerts.c.id == stack["alert_id"]
            )
        ).one()
    assert row.handled_at is not None and row.handled_by == STAFF[0]
    actions = [(r.action, r.user_email) for r in audit.recent(engine_of(stack), 50)]
    assert ("alert_handled", STAFF[0]) in actions and ("sign_in", STAFF[0]) in actions

    review = client.get("/staff/review")
    assert review.status == 200 and "Red-flag conversations" in review.body
    download = client.get("/staff/review/download")
    assert download.status == 200
    assert download.header("content-disposition").startswith('attachment; filename="review_')
    no_secrets_but_words = [s for s in SECRETS if s != "Quillonby"]
    assert not [s for s in no_secrets_but_words if s in download.body]
    assert ("report_downloaded", STAFF[0]) in [
        (r.action, r.user_email) for r in audit.recent(engine_of(stack), 50)
    ]

    out = client.post("/staff/logout", {"csrf": csrf})
    assert out.status == 303 and "pulpcare_staff" not in client.cookies
    assert client.get("/staff/").status == 302


# --- the lock-out -----------------------------------------------------------------------------
def practice_clock_text(at: dt.datetime) -> str:
    """How the page writes a time of today: ``9:06 am`` (practice time)."""
    from common.hours import PracticeHours
    from common.practice import load_practice

    local = at.astimezone(PracticeHours.from_practice(load_practice()).zone)
    return f"{local.hour % 12 or 12}:{local.minute:02d} {'am' if local.hour < 12 else 'pm'}"


def retry_time_shown(reply: Reply) -> str:
    match = re.search(
        r"try again from <strong>(?:today |tomorrow )?([0-9:]+ [ap]m)</strong>", reply.body
    )
    assert match, reply.body[:2000]
    return match.group(1)


def test_a_lock_out_after_failed_sign_ins_says_when_to_try_again(stack):
    client = Client(stack["port"], "10.0.6.1")
    started = dt.datetime.now(dt.timezone.utc)
    replies = [client.sign_in(LOCKED[0], WRONG) for _ in range(5)]
    assert [r.status for r in replies[:4]] == [401] * 4
    assert all("The e-mail or the password is wrong." in r.body for r in replies[:4])
    locked = replies[4]
    assert locked.status == 429 and "Too many failed sign-ins." in locked.body
    ended = dt.datetime.now(dt.timezone.utc)
    earliest = (started + dt.timedelta(minutes=15)).replace(second=0, microsecond=0)
    latest = (ended + dt.timedelta(minutes=16)).replace(second=0, microsecond=0)
    allowed = set()
    at = earliest
    while at <= latest:
        allowed.add(practice_clock_text(at))
        at += dt.timedelta(minutes=1)
    assert retry_time_shown(locked) in allowed, (retry_time_shown(locked), allowed)
    assert 800 <= int(locked.header("retry-after")) <= 901

    # the right password is not even checked now, from this address or any other
    for where in ("10.0.6.1", "10.0.6.2"):
        attempt = Client(stack["port"], where).sign_in(*LOCKED)
        assert attempt.status == 429 and retry_time_shown(attempt) == retry_time_shown(locked)
    # others still sign in
    assert Client(stack["port"], "10.0.6.2").sign_in(*ADMIN).status == 303

    # 20 failures from one address, whatever the accounts, lock that address out
    guesser = Client(stack["port"], "10.0.6.3")
    statuses = [guesser.sign_in(f"guess{n}@example.test", WRONG).status for n in range(20)]
    assert statuses[:19] == [401] * 19 and statuses[19] == 429
    assert guesser.sign_in(*ADMIN).status == 429
    assert Client(stack["port"], "10.0.6.4").sign_in(*ADMIN).status == 303

    # 16 minutes later both may sign in again (the practice clock moved, no waiting)
    from common.clock import set_file_clock

    set_file_clock(stack["clock"], dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=16))
    assert Client(stack["port"], "10.0.6.1").sign_in(*LOCKED).status == 303
    assert guesser.sign_in(*ADMIN).status == 303


# --- headers, cookies, and what never shows ---------------------------------------------------
def test_cookies_are_secure_behind_https(stack):
    client = Client(stack["port"], "10.0.7.1", https=True)
    page = client.get("/staff/login")
    signed = client.post(
        "/staff/login",
        {"csrf": form_field(page.body, "csrf"), "email": ADMIN[0], "password": ADMIN[1]},
    )
    assert signed.status == 303
    for reply in (page, signed):
        assert reply.cookies() and all("Secure" in c for c in reply.cookies()), reply.cookies()


def test_every_response_has_the_headers_and_cookie_flags(stack):
    client = Client(stack["port"], "10.0.7.2")
    refused_everywhere(stack, client, secrets.token_urlsafe(32))
    fresh_session(stack, client, STAFF)
    client.get(f"/staff/conversations/{stack['ref']}")
    client.get("/staff/nothing-here")  # Sanic's own 404 under /staff/
    client.post("/staff/", {"a": "b"})  # and its 405
    assert len(SEEN) > 40
    for reply in SEEN:
        where = (reply.method, reply.path, reply.status)
        assert reply.header("content-security-policy") == CSP, where
        assert reply.header("x-content-type-options") == "nosniff", where
        assert reply.header("referrer-policy") == "no-referrer", where
        assert reply.header("cache-control") == "no-store", where
        for cookie in reply.cookies():
            flags = [part.strip().lower() for part in cookie.split(";")[1:]]
            assert "httponly" in flags and "samesite=strict" in flags, where
            assert "path=/staff" in flags, where
            assert ("secure" in flags) == reply.https, where


def test_no_password_or_token_in_the_log_or_a_page(stack):
    client = Client(stack["port"], "10.0.7.3")
    csrf = fresh_session(stack, client, ADMIN)
    client.post(f"/staff/conversations/{stack['ref']}/reveal", {"csrf": csrf})
    Client(stack["port"], "10.0.7.4").sign_in(ADMIN[0], WRONG)
    log = stack["rasa"].log.read_text(errors="replace")
    assert "staff console ready" in log
    tokens = set()
    for reply in SEEN:
        for cookie in reply.cookies():
            value = cookie.split("=", 1)[1].split(";", 1)[0].strip('"')
            if len(value) >= 20:
                tokens.add(value)
        for match in re.finditer(r'name="csrf" value="([^"]+)"', reply.body):
            tokens.add(match.group(1))
    assert len(tokens) > 10
    for secret in (*PASSWORDS, *tokens):
        assert secret not in log, "a password or token is in the server log"
    for reply in SEEN:
        for password in PASSWORDS:
            assert password not in reply.body, f"a password in {reply.method} {reply.path}"
    for email in (ADMIN[0], STAFF[0], LOCKED[0]):
        assert email not in log, "an e-mail address is in the server log"
    for secret in SECRETS:
        assert secret not in log, f"{secret} is in the server log"
