"""The staff console's pages at /staff/: routes, sign-in, CSRF, cookies and headers.

Served by the Rasa server through `channel.StaffConsoleInput` (a Sanic blueprint
under /staff). Pages are rendered on the server with Jinja2 (autoescaping on) from
`templates/`; `static/` holds the one stylesheet and the one small script. Every
database call runs in a worker thread (`asyncio.to_thread`).

Security, route by route:

* Only `/staff/login`, `/staff/invite/<token>` and `/staff/static/<file>` answer
  without a session. Any other GET without a valid session (no cookie, unknown or
  forged token, ended by inactivity or age) is redirected to `/staff/login`; any
  other POST gets 403 and changes nothing. Admin pages answer 403 to staff.
* The session cookie `pulpcare_staff` holds a random token (only its SHA-256 is
  stored: `sessions.py`); it is HttpOnly, SameSite=Strict, Path=/staff, and Secure
  when the request came over HTTPS (`request.scheme`, which honours Sanic's
  forwarded-for settings) or `STAFF_COOKIE_SECURE=true`.
* Every POST carries a `csrf` field: the session's token (compared in constant
  time), or, on the sign-in and invitation forms, the value of a short-lived
  `pulpcare_staff_form` cookie (double submit). A missing or wrong one: 403.
* Every response under /staff/ (errors and Sanic's own 404 and 405 included) gets
  `CSP`, `nosniff`, `no-referrer`, `no-store` and `DENY` framing.
* Sign-in is throttled and audited by `accounts.sign_in` (per account and per
  address, in the database); a locked-out person is told when to try again.
* Phone numbers are masked on every page (``+***-**67``; the practice's own
  numbers excepted) unless the person reveals them on a conversation's page, a POST
  that is audited and shows them on that response only.
* Nothing here logs a password, a token, an e-mail address or a whole number.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import hmac
import logging
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Tuple
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

import jinja2
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from addons.practice import clock
from addons.staff.console import accounts, audit, data, sessions
from addons.staff.console.sessions import Session
from common.settings import current

logger = logging.getLogger(__name__)

PREFIX = "/staff"
COOKIE = "pulpcare_staff"
FORM_COOKIE = "pulpcare_staff_form"  # the sign-in and invitation forms' CSRF (double submit)
FORM_COOKIE_SECONDS = 2 * 3600
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HERE = Path(__file__).resolve().parent
STATIC = {"console.css": "text/css; charset=utf-8", "console.js": "text/javascript; charset=utf-8"}
# What a page says after a change (`?done=<key>`): fixed texts, nothing from the URL shown.
DONE = {
    "handled": "Marked handled.",
    "scheduled": "Check-in scheduled.",
    "cancelled": "Check-in cancelled.",
    "signed_out": "You are signed out.",
    "account_ready": "Your account is ready: sign in with your e-mail and new password.",
    "disabled": "Account disabled: its sessions have ended.",
    "enabled": "Account enabled.",
    "already": "Nothing to do: someone already did it.",
}
NEXT = re.compile(r"/staff/(?:[A-Za-z0-9_-]+/?)*")
MAX_REVIEW_DAYS = 400
PROCEDURES = ("pulpotomy", "pulpectomy")


# --- rendering ---------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The console's Jinja2 environment (autoescaping on, undefined names are errors)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(HERE / "templates")),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    return env


@functools.lru_cache(maxsize=4)
def _static(name: str) -> bytes:
    return (HERE / "static" / name).read_bytes()


def secure_request(request: Request) -> bool:
    """Whether cookies are to be Secure: HTTPS (as Sanic's forwarded settings tell it) or
    STAFF_COOKIE_SECURE=true."""
    if current().staff_cookie_secure:
        return True
    try:
        return str(request.scheme).lower() in ("https", "wss")
    except Exception:
        return False


def client_address(request: Request) -> str:
    """The client's address as Sanic sees it (behind a proxy, its forwarded settings)."""
    try:
        return str(request.remote_addr or request.ip or "")[:64]
    except Exception:
        return ""


def set_cookie(
    request: Request, reply: HTTPResponse, name: str, value: str, max_age: Optional[int] = None
) -> None:
    reply.cookies[name] = value
    cookie = reply.cookies[name]
    cookie["path"] = PREFIX
    cookie["httponly"] = True
    cookie["samesite"] = "Strict"
    if secure_request(request):
        cookie["secure"] = True
    if max_age is not None:
        cookie["max-age"] = max_age


def drop_cookie(request: Request, reply: HTTPResponse, name: str) -> None:
    set_cookie(request, reply, name, "", max_age=0)


def add_security_headers(reply: HTTPResponse) -> None:
    for key, value in SECURITY_HEADERS.items():
        reply.headers[key] = value


def _same(a: Optional[str], b: Optional[str]) -> bool:
    """Constant-time comparison of two tokens; False when either is missing."""
    if not isinstance(a, str) or not isinstance(b, str) or not a or not b:
        return False
    return hmac.compare_digest(a.encode("utf-8", "replace"), b.encode("utf-8", "replace"))


def safe_next(value: Optional[str]) -> str:
    """Where to go after signing in: a console path only (no other site, no query)."""
    if value and len(value) < 300 and NEXT.fullmatch(value):
        return value
    return PREFIX + "/"


def link_base(request: Request) -> str:
    """The console's address for links staff send on (an invitation): STAFF_URL, else
    the address this request came to."""
    configured = current().staff_url
    if configured:
        return configured.rstrip("/")
    try:
        host = request.host or "localhost"
        return f"{request.scheme}://{host}"
    except Exception:
        return current().rasa_url.rstrip("/")


# --- the console's state in one server ------------------------------------------------------
@dataclass
class Console:
    """What the pages need, set up once when the server starts."""

    engine: Any = None
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("America/New_York"))
    keep_numbers: List[str] = field(default_factory=list)  # the practice's own
    titles: Dict[str, str] = field(default_factory=dict)  # topic -> title
    files: Dict[str, str] = field(default_factory=dict)  # topic -> its content file

    def open(self) -> None:
        """Connects to the tracker database (creating the tables) and reads the practice
        settings; blocking, so called in a thread."""
        from addons.practice import db
        from addons.staff.console import tables
        from common.hours import DEFAULT_TIMEZONE, PracticeHours
        from common.practice import PracticeError, load_practice

        engine = db.engine()
        tables.ensure(engine)
        try:
            practice = load_practice()
            self.zone = PracticeHours.from_practice(practice).zone
            self.keep_numbers = data.practice_numbers(practice)
        except (PracticeError, OSError, ValueError) as error:
            logger.error(
                "staff console: practice settings unusable (%s); times in %s",
                error,
                DEFAULT_TIMEZONE,
            )
            self.zone = ZoneInfo(DEFAULT_TIMEZONE)
        try:
            from addons.server import replies

            entries = replies.knowledge().entries
            self.titles = {key: entry.title for key, entry in entries.items()}
            self.files = {key: entry.file for key, entry in entries.items()}
        except Exception as error:  # the topics then show by their keys
            logger.warning("staff console: topic titles not loaded (%s)", type(error).__name__)
        self.engine = engine

    def masker(self, reveal: bool = False) -> data.Masker:
        return data.Masker(self.keep_numbers, reveal=reveal)

    # -- times, as staff read them: the practice's local time --
    def local(self, at: Optional[dt.datetime]) -> Optional[dt.datetime]:
        if at is None:
            return None
        if at.tzinfo is None:
            at = at.replace(tzinfo=dt.timezone.utc)
        return at.astimezone(self.zone)

    def when(self, at: Optional[dt.datetime]) -> str:
        """``today 10:02 pm``, ``yesterday 9:15 am``, ``Tue 14 May 2026, 10:02 pm``."""
        local = self.local(at)
        if local is None:
            return "-"
        clock_time = (
            f"{local.hour % 12 or 12}:{local.minute:02d} {'am' if local.hour < 12 else 'pm'}"
        )
        today = clock.now().astimezone(self.zone).date()
        if local.date() == today:
            return f"today {clock_time}"
        if local.date() == today - dt.timedelta(days=1):
            return f"yesterday {clock_time}"
        if local.date() == today + dt.timedelta(days=1):
            return f"tomorrow {clock_time}"
        return f"{local:%a} {local.day} {local:%b %Y}, {clock_time}"

    def iso(self, at: Optional[dt.datetime]) -> str:
        local = self.local(at)
        return local.isoformat(timespec="minutes") if local is not None else ""


async def in_thread(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return await asyncio.to_thread(function, *args, **kwargs)


# --- the blueprint ------------------------------------------------------------------------------
Handler = Callable[..., Awaitable[HTTPResponse]]


def blueprint(console: Optional[Console] = None) -> Blueprint:
    """The console's routes, relative to /staff (the channel's `url_prefix`)."""
    console = console or Console()
    bp = Blueprint("staff_console")

    # -- responses --
    def page(
        request: Request,
        template: str,
        session: Optional[Session] = None,
        status: int = 200,
        headers: Optional[Dict[str, str]] = None,
        **context: Any,
    ) -> HTTPResponse:
        done = DONE.get(request.args.get("done", ""), "") if request.method == "GET" else ""
        values = {
            "user": session.user if session else None,
            "csrf": session.csrf if session else "",
            "done": done,
            "when": console.when,
            "iso": console.iso,
            "nav": "",
            "title": "Staff console",
            "prefix": PREFIX,
            **context,
        }
        html = environment().get_template(template).render(values)
        reply = response.html(html, status=status, headers=headers or {})
        add_security_headers(reply)
        return reply

    def redirect(to: str, status: int = 303) -> HTTPResponse:
        reply = response.redirect(to, status=status)
        add_security_headers(reply)
        return reply

    def refused(request: Request, message: str, session: Optional[Session] = None) -> HTTPResponse:
        return page(request, "refused.html", session, status=403, message=message)

    def not_found(request: Request, session: Session, what: str) -> HTTPResponse:
        return page(request, "not_found.html", session, status=404, what=what)

    def unavailable(request: Request) -> HTTPResponse:
        return page(
            request,
            "refused.html",
            status=503,
            message="The staff console cannot reach its database right now. Try again in a minute.",
        )

    def to_login(request: Request) -> HTTPResponse:
        target = PREFIX + "/login"
        if request.path != PREFIX + "/" and NEXT.fullmatch(request.path):
            target += "?" + urlencode({"next": request.path})
        return redirect(target, status=302)

    async def session_of(request: Request) -> Optional[Session]:
        token = request.cookies.get(COOKIE)
        if not token:
            return None
        return await in_thread(sessions.current, console.engine, token)  # type: ignore[no-any-return]

    # -- guards: every page and every action goes through one of these --
    def signed_in(admin: bool = False) -> Callable[[Handler], Handler]:
        """A page: a valid session (else to the sign-in page), an admin for admin pages."""

        def wrap(handler: Handler) -> Handler:
            @functools.wraps(handler)
            async def run(request: Request, **kwargs: Any) -> HTTPResponse:
                if console.engine is None:
                    return unavailable(request)
                session = await session_of(request)
                if session is None:
                    return to_login(request)
                if admin and not session.user.is_admin:
                    return refused(request, "This page is for admins only.", session)
                return await handler(request, session, **kwargs)

            return run

        return wrap

    def action(admin: bool = False) -> Callable[[Handler], Handler]:
        """A change: a valid session, its CSRF token in the form, an admin if needed;
        else 403 and nothing changes."""

        def wrap(handler: Handler) -> Handler:
            @functools.wraps(handler)
            async def run(request: Request, **kwargs: Any) -> HTTPResponse:
                if console.engine is None:
                    return unavailable(request)
                session = await session_of(request)
                if session is None:
                    return refused(request, "Your session has ended. Sign in again, then retry.")
                if not sessions.csrf_ok(session, request.form.get("csrf")):
                    return refused(
                        request,
                        "This form was out of date. Go back, reload the page and retry.",
                        session,
                    )
                if admin and not session.user.is_admin:
                    return refused(request, "Only admins can do this.", session)
                return await handler(request, session, **kwargs)

            return run

        return wrap

    def record_audit(
        session: Optional[Session],
        request: Request,
        action_name: str,
        target: str = "",
        detail: str = "",
    ) -> Awaitable[Any]:
        who = session.user.email if session else ""
        return in_thread(
            audit.record, console.engine, who, action_name, target, detail, client_address(request)
        )

    # -- start-up: the database, and the headers on every /staff response --
    @bp.listener("before_server_start")
    async def headers_everywhere(app: Any, _loop: Any) -> None:
        async def secure_headers(request: Request, reply: HTTPResponse) -> None:
            path = request.path or ""
            if reply is not None and (path == PREFIX or path.startswith(PREFIX + "/")):
                add_security_headers(reply)

        app.register_middleware(secure_headers, "response")

    @bp.listener("after_server_start")
    async def open_console(_app: Any, _loop: Any) -> None:
        try:
            await in_thread(console.open)
            logger.info("staff console ready at %s/", PREFIX)
        except Exception:
            logger.exception("staff console: the database is not reachable; pages answer 503")

    # -- files --
    @bp.route("/static/<name:str>", methods=["GET"], name="static_file")
    async def static_file(request: Request, name: str) -> HTTPResponse:
        if name not in STATIC:
            reply = response.text("Not found", status=404)
        else:
            reply = response.raw(_static(name), content_type=STATIC[name])
        add_security_headers(reply)
        return reply

    # -- signing in and out --
    def form_token(request: Request) -> str:
        existing = request.cookies.get(FORM_COOKIE) or ""
        return (
            existing
            if re.fullmatch(r"[A-Za-z0-9_-]{32,64}", existing)
            else secrets.token_urlsafe(32)
        )

    def with_form_cookie(request: Request, reply: HTTPResponse, token: str) -> HTTPResponse:
        set_cookie(request, reply, FORM_COOKIE, token, max_age=FORM_COOKIE_SECONDS)
        return reply

    def form_csrf_ok(request: Request) -> bool:
        return _same(request.cookies.get(FORM_COOKIE), request.form.get("csrf"))

    def login_page(
        request: Request,
        status: int = 200,
        error: str = "",
        retry: str = "",
        headers: Optional[Dict[str, str]] = None,
    ) -> HTTPResponse:
        token = form_token(request)
        next_path = safe_next(
            request.args.get("next") if request.method == "GET" else request.form.get("next")
        )
        reply = page(
            request,
            "login.html",
            status=status,
            headers=headers,
            form_csrf=token,
            next_path=next_path,
            error=error,
            retry=retry,
            title="Sign in",
        )
        return with_form_cookie(request, reply, token)

    @bp.route("/login", methods=["GET"], name="login_form")
    async def login_form(request: Request) -> HTTPResponse:
        if console.engine is None:
            return unavailable(request)
        if await session_of(request) is not None:
            return redirect(safe_next(request.args.get("next")), status=302)
        return login_page(request)

    @bp.route("/login", methods=["POST"], name="login")
    async def login(request: Request) -> HTTPResponse:
        if console.engine is None:
            return unavailable(request)
        if not form_csrf_ok(request):
            reply = refused(
                request, "This sign-in form was out of date. Reload the page and sign in again."
            )
            return with_form_cookie(request, reply, form_token(request))
        email = (request.form.get("email") or "").strip()
        password = request.form.get("password") or ""
        address = client_address(request)
        if not email or not password:
            return login_page(request, 400, "Enter your e-mail and your password.")
        outcome = await in_thread(accounts.sign_in, console.engine, email, password, address)
        if outcome.user is None:
            if outcome.retry_at is not None:
                wait = max(1, int((outcome.retry_at - clock.now()).total_seconds()))
                return login_page(
                    request,
                    429,
                    "Too many failed sign-ins.",
                    retry=console.when(_next_minute(outcome.retry_at)),
                    headers={"Retry-After": str(wait)},
                )
            return login_page(request, 401, "The e-mail or the password is wrong.")
        token, _csrf = await in_thread(sessions.start, console.engine, outcome.user, address)
        reply = redirect(safe_next(request.form.get("next")))
        set_cookie(request, reply, COOKIE, token)
        drop_cookie(request, reply, FORM_COOKIE)
        return reply

    @bp.route("/logout", methods=["POST"], name="logout")
    @action()
    async def logout(request: Request, session: Session) -> HTTPResponse:
        await in_thread(sessions.end, console.engine, request.cookies.get(COOKIE))
        await record_audit(session, request, "sign_out")
        reply = redirect(PREFIX + "/login?done=signed_out")
        drop_cookie(request, reply, COOKIE)
        return reply

    # -- invitations: set a password from a one-time link --
    @bp.route("/invite/<token:str>", methods=["GET"], name="invitation")
    async def invitation(request: Request, token: str) -> HTTPResponse:
        if console.engine is None:
            return unavailable(request)
        found = await in_thread(accounts.check_invitation, console.engine, token)
        if found is None:
            return page(request, "invitation.html", status=404, invitation=None, title="Invitation")
        form = form_token(request)
        reply = page(
            request,
            "invitation.html",
            invitation=found,
            form_csrf=form,
            error="",
            title="Invitation",
        )
        return with_form_cookie(request, reply, form)

    @bp.route("/invite/<token:str>", methods=["POST"], name="accept_invitation")
    async def accept_invitation(request: Request, token: str) -> HTTPResponse:
        if console.engine is None:
            return unavailable(request)
        if not form_csrf_ok(request):
            reply = refused(request, "This form was out of date. Open the invitation link again.")
            return with_form_cookie(request, reply, form_token(request))
        found = await in_thread(accounts.check_invitation, console.engine, token)
        if found is None:
            return page(request, "invitation.html", status=404, invitation=None, title="Invitation")
        password = request.form.get("password") or ""
        again = request.form.get("password_again") or ""
        error = ""
        if password != again:
            error = "The two passwords are not the same."
        else:
            try:
                user = await in_thread(accounts.accept_invitation, console.engine, token, password)
            except accounts.InvitationError:
                return page(
                    request, "invitation.html", status=404, invitation=None, title="Invitation"
                )
            except accounts.AccountError as problem:
                error = str(problem)
            else:
                await in_thread(
                    audit.record,
                    console.engine,
                    user.email,
                    "invitation_accepted",
                    user.email,
                    f"role {user.role}",
                    client_address(request),
                )
                reply = redirect(PREFIX + "/login?done=account_ready")
                drop_cookie(request, reply, FORM_COOKIE)
                return reply
        form = form_token(request)
        reply = page(
            request,
            "invitation.html",
            status=400,
            invitation=found,
            form_csrf=form,
            error=error,
            title="Invitation",
        )
        return with_form_cookie(request, reply, form)

    # -- the inbox --
    @bp.route("/", methods=["GET"], name="inbox", strict_slashes=False)
    @signed_in()
    async def inbox(request: Request, session: Session) -> HTTPResponse:
        items = await in_thread(data.inbox, console.engine, console.masker())
        return page(
            request, "inbox.html", session, items=items, nav="inbox", title="Inbox", now=clock.now()
        )

    @bp.route("/alerts/<alert_id:int>", methods=["GET"], name="alert")
    @signed_in()
    async def alert_page(request: Request, session: Session, alert_id: int) -> HTTPResponse:
        found = await in_thread(data.alert, console.engine, alert_id, console.masker())
        if found is None:
            return not_found(request, session, "alert")
        return page(request, "alert.html", session, alert=found, nav="inbox", title=found.title)

    @bp.route("/alerts/<alert_id:int>/handled", methods=["POST"], name="alert_handled")
    @action()
    async def alert_handled(request: Request, session: Session, alert_id: int) -> HTTPResponse:
        tag = await in_thread(
            data.mark_alert_handled, console.engine, alert_id, session.user.email, clock.now()
        )
        if tag is None:
            return redirect(_back(request, "already"))
        await record_audit(session, request, "alert_handled", f"alert {alert_id}", f"parent {tag}")
        return redirect(_back(request, "handled"))

    @bp.route("/callbacks/<callback_id:int>/handled", methods=["POST"], name="callback_handled")
    @action()
    async def callback_handled(
        request: Request, session: Session, callback_id: int
    ) -> HTTPResponse:
        masked = await in_thread(
            data.mark_callback_handled, console.engine, callback_id, session.user.email, clock.now()
        )
        if masked is None:
            return redirect(_back(request, "already"))
        await record_audit(
            session, request, "callback_handled", f"callback {callback_id}", f"parent {masked}"
        )
        return redirect(_back(request, "handled"))

    # -- check-ins --
    async def checkins_page(
        request: Request,
        session: Session,
        status: int = 200,
        error: str = "",
        form: Optional[Mapping[str, str]] = None,
    ) -> HTTPResponse:
        from addons.practice import checkins

        pending = await in_thread(checkins.list_scheduled, console.engine)
        recent = await in_thread(checkins.list_scheduled, console.engine, statuses=None, limit=30)
        done = [row for row in reversed(recent) if row.status not in checkins.PENDING][:10]
        masker = console.masker()
        return page(
            request,
            "checkins.html",
            session,
            status=status,
            nav="checkins",
            title="Check-ins",
            pending=[_checkin_row(row, masker) for row in pending],
            recent=[_checkin_row(row, masker) for row in done],
            procedures=PROCEDURES,
            error=error,
            form=form or {"phone": "", "procedure": PROCEDURES[0], "when": ""},
            min_when=clock.now().astimezone(console.zone).strftime("%Y-%m-%dT%H:%M"),
        )

    @bp.route("/checkins", methods=["GET"], name="checkins")
    @signed_in()
    async def checkins_list(request: Request, session: Session) -> HTTPResponse:
        return await checkins_page(request, session)

    @bp.route("/checkins", methods=["POST"], name="schedule_checkin")
    @action()
    async def schedule_checkin(request: Request, session: Session) -> HTTPResponse:
        from addons.practice import checkins
        from common.phones import mask_phone

        typed = (request.form.get("phone") or "").strip()
        procedure = request.form.get("procedure") or ""
        when = (request.form.get("when") or "").strip()
        form = {"phone": typed, "procedure": procedure, "when": when}
        phone = _phone(typed)
        if phone is None:
            return await checkins_page(
                request,
                session,
                400,
                "Enter the parent's mobile number, like (555) 234-5678 or +15552345678.",
                form,
            )
        if procedure not in PROCEDURES:
            return await checkins_page(request, session, 400, "Choose the procedure.", form)
        try:
            rows = await in_thread(
                checkins.schedule,
                phone,
                procedure,
                when or None,
                created_by=session.user.email,
                engine=console.engine,
            )
        except checkins.CheckinError as problem:
            message = str(problem).replace("WHEN=", "").replace("WHEN", "the time")
            return await checkins_page(request, session, 400, _sentence(message), form)
        for row in rows:
            await record_audit(
                session,
                request,
                "checkin_scheduled",
                f"check-in {row.id}",
                f"{procedure} for {mask_phone(phone)} at {console.when(row.send_at)}",
            )
        return redirect(PREFIX + "/checkins?done=scheduled")

    @bp.route("/checkins/<checkin_id:int>/cancel", methods=["POST"], name="cancel_checkin")
    @action()
    async def cancel_checkin(request: Request, session: Session, checkin_id: int) -> HTTPResponse:
        from addons.practice import checkins
        from common.phones import mask_phone

        row = await in_thread(checkins.get, checkin_id, console.engine)
        cancelled = await in_thread(checkins.cancel, checkin_id, console.engine)
        if not cancelled or row is None:
            return redirect(PREFIX + "/checkins?done=already")
        await record_audit(
            session,
            request,
            "checkin_cancelled",
            f"check-in {checkin_id}",
            f"{row.procedure} for {mask_phone(row.phone)}",
        )
        return redirect(PREFIX + "/checkins?done=cancelled")

    # -- a conversation --
    async def conversation_page(
        request: Request, session: Session, ref: str, reveal: bool
    ) -> HTTPResponse:
        conversation_id = data.conversation_from_ref(ref)
        if conversation_id is None:
            return not_found(request, session, "conversation")
        found = await in_thread(
            data.transcript, console.engine, conversation_id, console.masker(reveal), console.titles
        )
        if found is None:
            return not_found(request, session, "conversation")
        return page(
            request, "conversation.html", session, talk=found, nav="inbox", title="Conversation"
        )

    @bp.route("/conversations/<ref:str>", methods=["GET"], name="conversation")
    @signed_in()
    async def conversation(request: Request, session: Session, ref: str) -> HTTPResponse:
        return await conversation_page(request, session, ref, reveal=False)

    @bp.route("/conversations/<ref:str>/reveal", methods=["POST"], name="reveal")
    @action()
    async def reveal(request: Request, session: Session, ref: str) -> HTTPResponse:
        from addons.practice.alerts import parent_tag

        conversation_id = data.conversation_from_ref(ref)
        if conversation_id is None:
            return not_found(request, session, "conversation")
        reply = await conversation_page(request, session, ref, reveal=True)
        if reply.status == 200:
            await record_audit(
                session,
                request,
                "phone_revealed",
                f"conversation {parent_tag(conversation_id)}",
                "phone numbers shown",
            )
        return reply

    # -- the review's figures --
    def period(request: Request) -> Tuple[Optional[dt.date], Optional[dt.date], str]:
        today = clock.now().astimezone(console.zone).date()
        try:
            end = dt.date.fromisoformat(request.args.get("to") or today.isoformat())
            start = dt.date.fromisoformat(
                request.args.get("from") or (end - dt.timedelta(days=29)).isoformat()
            )
        except ValueError:
            return None, None, "Give the dates as shown, like 2026-03-31."
        if start > end:
            return start, end, "The first day is after the last day."
        if (end - start).days > MAX_REVIEW_DAYS:
            return start, end, f"Choose a period of at most {MAX_REVIEW_DAYS} days."
        return start, end, ""

    @bp.route("/review", methods=["GET"], name="review")
    @signed_in()
    async def review(request: Request, session: Session) -> HTTPResponse:
        from addons.server.database import StoreUnavailable

        start, end, error = period(request)
        figures = None
        if not error and start and end:
            try:
                figures = await in_thread(
                    data.review_figures, start, end, console.titles, console.files
                )
            except StoreUnavailable:
                error = "The conversations cannot be read right now. Try again in a minute."
        return page(
            request,
            "review.html",
            session,
            status=400 if error and start is None else 200,
            nav="review",
            title="Review",
            start=start.isoformat() if start else "",
            end=end.isoformat() if end else "",
            error=error,
            figures=figures,
            download=PREFIX
            + "/review/download?"
            + urlencode({"from": start or "", "to": end or ""}),
        )

    @bp.route("/review/download", methods=["GET"], name="review_download")
    @signed_in()
    async def review_download(request: Request, session: Session) -> HTTPResponse:
        from addons.server.database import StoreUnavailable

        start, end, error = period(request)
        if error or start is None or end is None:
            return page(
                request, "refused.html", session, status=400, message=error or "Choose a period."
            )
        try:
            html = await in_thread(data.review_report, start, end)
        except StoreUnavailable:
            return page(
                request,
                "refused.html",
                session,
                status=503,
                message="The conversations cannot be read right now.",
            )
        await record_audit(session, request, "report_downloaded", f"review {start} to {end}")
        reply = response.raw(
            html.encode("utf-8"),
            content_type="text/html; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="review_{start}_{end}.html"'},
        )
        add_security_headers(reply)
        return reply

    # -- admin: accounts and the audit log --
    async def users_page(
        request: Request,
        session: Session,
        status: int = 200,
        link: str = "",
        invited: str = "",
        error: str = "",
    ) -> HTTPResponse:
        users = await in_thread(accounts.list_users, console.engine)
        pending = await in_thread(accounts.pending_invitations, console.engine)
        return page(
            request,
            "users.html",
            session,
            status=status,
            nav="users",
            title="Accounts",
            users=users,
            pending=pending,
            link=link,
            invited=invited,
            error=error,
            roles=accounts.ROLES,
        )

    @bp.route("/users", methods=["GET"], name="users")
    @signed_in(admin=True)
    async def users(request: Request, session: Session) -> HTTPResponse:
        return await users_page(request, session)

    @bp.route("/users/invite", methods=["POST"], name="invite_user")
    @action(admin=True)
    async def invite_user(request: Request, session: Session) -> HTTPResponse:
        email = (request.form.get("email") or "").strip()
        role = request.form.get("role") or accounts.STAFF
        try:
            token = await in_thread(
                accounts.invite, console.engine, email, role, session.user.email
            )
        except accounts.AccountError as problem:
            return await users_page(request, session, 400, error=str(problem))
        normalized = accounts.normalize_email(email)
        await record_audit(session, request, "user_invited", normalized, f"role {role}")
        link = f"{link_base(request)}{PREFIX}/invite/{quote(token)}"
        return await users_page(request, session, link=link, invited=normalized)

    @bp.route("/users/<user_id:int>/disable", methods=["POST"], name="disable_user")
    @action(admin=True)
    async def disable_user(request: Request, session: Session, user_id: int) -> HTTPResponse:
        if user_id == session.user.id:
            return await users_page(
                request, session, 400, error="You cannot disable your own account."
            )
        target = await in_thread(accounts.get_user, console.engine, user_id)
        changed = target is not None and await in_thread(
            accounts.disable_user, console.engine, user_id
        )
        if not changed or target is None:
            return redirect(PREFIX + "/users?done=already")
        await record_audit(session, request, "user_disabled", target.email)
        return redirect(PREFIX + "/users?done=disabled")

    @bp.route("/users/<user_id:int>/enable", methods=["POST"], name="enable_user")
    @action(admin=True)
    async def enable_user(request: Request, session: Session, user_id: int) -> HTTPResponse:
        target = await in_thread(accounts.get_user, console.engine, user_id)
        changed = target is not None and await in_thread(
            accounts.enable_user, console.engine, user_id
        )
        if not changed or target is None:
            return redirect(PREFIX + "/users?done=already")
        await record_audit(session, request, "user_enabled", target.email)
        return redirect(PREFIX + "/users?done=enabled")

    @bp.route("/audit", methods=["GET"], name="audit_log")
    @signed_in(admin=True)
    async def audit_log(request: Request, session: Session) -> HTTPResponse:
        entries = await in_thread(audit.recent, console.engine, 300)
        return page(request, "audit.html", session, nav="audit", title="Audit log", entries=entries)

    return bp


# --- helpers of the routes ---------------------------------------------------------------
def _back(request: Request, done: str) -> str:
    """After marking something handled: back to the page the form was on."""
    where = request.form.get("back") or ""
    target = where if NEXT.fullmatch(where) else PREFIX + "/"
    return f"{target}?done={done}"


def _next_minute(at: dt.datetime) -> dt.datetime:
    """`at` rounded up to the minute (a page that says "from 9:06" must mean it)."""
    exact = at.replace(second=0, microsecond=0)
    return exact if exact == at else exact + dt.timedelta(minutes=1)


def _phone(typed: str) -> Optional[str]:
    """The number staff typed, in E.164: as given (``+15550100199``), or a North
    American number in any usual spelling (``(555) 234-5678``)."""
    from common.phones import is_e164, parse_phone

    bare = re.sub(r"[\s().-]", "", typed or "")
    if is_e164(bare):
        return bare
    return parse_phone(typed)


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def _checkin_row(row: Any, masker: data.Masker) -> Dict[str, Any]:
    from common.conversations import sms_conversation

    return {
        "id": row.id,
        "phone": masker.phone(row.phone),
        "procedure": row.procedure,
        "send_at": row.send_at,
        "status": row.status,
        "reason": masker.text(row.reason or ""),
        "created_by": row.created_by or "",
        "ref": data.conversation_ref(sms_conversation(row.phone)),
        "cancellable": row.status == "scheduled",
        "linked": row.status == "sent",  # a sent check-in started (or continued) a conversation
    }
