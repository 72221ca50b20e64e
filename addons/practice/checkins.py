"""Scheduled check-ins: staff schedule them, every Rasa server's loop sends them once.

Staff schedule a check-in after a pulpotomy or pulpectomy (`make followup`,
`schedule()`): at a time, after a delay ("2h"), or at the practice's default plan
(`checkin_plan` in practice.yml: the evening of the procedure, the next morning).
Each is a row of `practice_checkins` on the tracker database, so it survives a
restart and every server of the practice sees it. No check-in is texted in the
quiet hours: a time inside them is moved to their end when scheduled, and again
when sent (a server that was down all evening does not text at 11 pm).

`CheckinJob` (the dispatcher's "checkins" job) sends the rows that are due. A row
is claimed before it is sent - `SELECT ... FOR UPDATE SKIP LOCKED` and an UPDATE to
'sending' in one transaction on PostgreSQL, a conditional UPDATE on SQLite - so
with several servers each check-in is sent by one of them, once. A row that stays
'sending' (its server stopped mid-send) is never sent again: after 10 minutes it
is marked failed, because the parent may have had it already.

Sending is what Rasa's `POST /conversations/<id>/trigger_intent?output_channel=twilio`
does (`rasa/server.py`), done inside the server: the conversation's lock, the
tracker with its session updated, `Agent.trigger_intent` (whose processor runs the
check-in action and saves the tracker), the SMS channel's own output. The parent's
reply (1, 2, 3) then continues the same conversation, `sms:<phone>`.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import sqlalchemy as sa

from addons.practice import clock, db
from common.conversations import sms_conversation
from common.hours import PracticeHours
from common.names import FOLLOWUP_INTENT, PROCEDURE
from common.phones import is_e164, mask_phone

logger = logging.getLogger(__name__)

PROCEDURES = ("pulpotomy", "pulpectomy")
SCHEDULED, SENDING, SENT, CANCELLED, SKIPPED, FAILED = (
    "scheduled",
    "sending",
    "sent",
    "cancelled",
    "skipped",
    "failed",
)
PENDING = (SCHEDULED, SENDING)
STUCK_AFTER = timedelta(minutes=10)
STUCK_REASON = "server stopped while sending; not resent to avoid a duplicate"
OPTED_OUT_REASON = "opted out"
SMS_OFF_REASON = (
    "the SMS channel is off on the server (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, "
    "TWILIO_NUMBER not set)"
)
NOT_TEXTED_REASON = "the SMS was not accepted by Twilio (see the server log); not resent"
PER_PASS = 50  # check-ins one server sends in one pass at most...
PASS_SECONDS = 3.0  # ...and for this long: the alerts job runs between two passes
LATE_GRACE = timedelta(minutes=1)  # a WHEN this far in the past still means "now"

_DELAY = re.compile(r"(?:(?P<d>\d+)\s*d)?\s*(?:(?P<h>\d+)\s*h)?\s*(?:(?P<m>\d+)\s*m(?:in)?)?")

Practice = Union[PracticeHours, Mapping[str, Any], None]
# (agent, SMS sender, phone, procedure): texts the check-in through that sender
Send = Callable[[Any, Any, str, str], Awaitable[None]]


class CheckinError(ValueError):
    """A check-in cannot be scheduled as asked; the message says why, for staff."""


@dataclass(frozen=True)
class Checkin:
    """One row of `practice_checkins` (times timezone-aware, UTC)."""

    id: int
    phone: str
    procedure: str
    send_at: datetime
    requested_at: datetime
    status: str
    created_at: datetime
    created_by: str = ""
    claimed_by: Optional[str] = None
    claimed_at: Optional[datetime] = None
    sent_at: Optional[datetime] = None
    reason: Optional[str] = None

    @classmethod
    def from_row(cls, row: Any) -> "Checkin":
        values: Dict[str, Any] = dict(row._mapping)
        for name in ("send_at", "requested_at", "created_at", "claimed_at", "sent_at"):
            values[name] = _from_db(values.get(name))
        fields: Dict[str, Any] = {name: values.get(name) for name in cls.__dataclass_fields__}
        return cls(**fields)


# --- times -------------------------------------------------------------------------
def _utc(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("a naive date-time reached the check-in store")
    return at.astimezone(timezone.utc)


_from_db = db.as_utc


def practice_hours(practice: Practice = None) -> PracticeHours:
    """The practice's hours: given, or from a practice mapping, or from practice.yml."""
    if isinstance(practice, PracticeHours):
        return practice
    if practice is None:
        from common.practice import load_practice

        practice = load_practice()
    return PracticeHours.from_practice(practice)


def parse_delay(text: str) -> Optional[timedelta]:
    """ "2h", "30m", "1d", "1h30m", "90 min" -> the delay; None when `text` is not one."""
    cleaned = text.strip().lower()
    match = _DELAY.fullmatch(cleaned)
    if not cleaned or match is None or not any(match.groupdict().values()):
        return None
    days, hours, minutes = (int(match.group(k) or 0) for k in "dhm")
    return timedelta(days=days, hours=hours, minutes=minutes)


def parse_when(when: Union[str, datetime], now: datetime, hours: PracticeHours) -> datetime:
    """The time staff asked for, in UTC: "now", a delay from `now`, or a date-time (a
    naive one, or one typed without an offset, is practice local time). Raises
    CheckinError for anything else and for a time in the past."""
    now = _utc(now)
    if isinstance(when, datetime):
        at = when if when.tzinfo is not None else when.replace(tzinfo=hours.zone)
    else:
        text = when.strip()
        delay = parse_delay(text)
        if text.lower() == "now":
            at = now
        elif delay is not None:
            at = now + delay
        else:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                raise CheckinError(
                    f"WHEN={text!r} has no time of day: give one (like {text}T18:00), "
                    "or leave WHEN out for the practice's plan"
                )
            try:
                at = datetime.fromisoformat(re.sub(r"[zZ]$", "+00:00", text))
            except ValueError:
                raise CheckinError(
                    f"WHEN={text!r} is not a delay (2h, 30m, 1d), a date-time in practice "
                    "time (2026-12-02T18:00) or 'now'"
                ) from None
            if at.tzinfo is None:
                at = at.replace(tzinfo=hours.zone)
    at = _utc(at)
    if at < now - LATE_GRACE:
        local = hours.local(now).strftime("%Y-%m-%d %H:%M")
        raise CheckinError(f"WHEN={when!s} is in the past (it is {local} practice time)")
    return max(at, now)


def planned_times(
    when: Union[str, datetime, None], now: datetime, hours: PracticeHours
) -> List[datetime]:
    """What staff asked for: one time, or the plan's times still ahead today."""
    if when is None:
        return hours.plan_times(hours.today(now), after=_utc(now))
    return [parse_when(when, now, hours)]


# --- staff: schedule, list, cancel ----------------------------------------------------
def _bind(engine: Optional[sa.engine.Engine]) -> sa.engine.Engine:
    return engine if engine is not None else db.engine()


def schedule(
    phone: str,
    procedure: str,
    when: Union[str, datetime, None] = None,
    *,
    now: Optional[datetime] = None,
    created_by: str = "",
    engine: Optional[sa.engine.Engine] = None,
    practice: Practice = None,
) -> List[Checkin]:
    """Schedules the check-in(s); returns the rows, each `send_at` out of quiet hours.

    `when`: None for the practice's plan (the procedure today), a datetime, or text:
    "now", a delay ("2h", "30m", "1d") or an ISO date-time in practice local time.
    A check-in already scheduled for that phone, procedure and time is not doubled.
    """
    if not is_e164(phone):
        raise CheckinError(f"{mask_phone(phone)} is not a phone number in E.164 form")
    if procedure not in PROCEDURES:
        raise CheckinError(f"procedure {procedure!r}: one of {', '.join(PROCEDURES)}")
    hours = practice_hours(practice)
    now = _utc(now or clock.now())
    requested = planned_times(when, now, hours)
    if not requested:
        raise CheckinError(
            "the practice's check-in plan has no time left today: give WHEN (like 2h "
            "or 2026-12-02T09:00)"
        )
    table = db.checkins
    rows: List[Checkin] = []
    with _bind(engine).begin() as conn:
        for at in requested:
            send_at = hours.next_allowed(at)
            same = conn.execute(
                sa.select(table).where(
                    table.c.phone == phone,
                    table.c.procedure == procedure,
                    table.c.send_at == send_at,
                    table.c.status == SCHEDULED,
                )
            ).first()
            if same is not None:
                rows.append(Checkin.from_row(same))
                continue
            result = conn.execute(
                table.insert().values(
                    phone=phone,
                    procedure=procedure,
                    send_at=send_at,
                    requested_at=at,
                    status=SCHEDULED,
                    created_at=now,
                    created_by=created_by[:255],
                )
            )
            row = conn.execute(
                sa.select(table).where(table.c.id == result.inserted_primary_key[0])
            ).one()
            rows.append(Checkin.from_row(row))
    for row in rows:
        logger.info("check-in #%s for %s scheduled at %s", row.id, mask_phone(phone), row.send_at)
    return rows


def list_scheduled(
    engine: Optional[sa.engine.Engine] = None,
    *,
    phone: Optional[str] = None,
    statuses: Optional[Sequence[str]] = PENDING,
    limit: int = 500,
) -> List[Checkin]:
    """Check-ins by send time: those still to send (`statuses=None`: every one, the
    latest `limit`)."""
    table = db.checkins
    query = sa.select(table)
    if statuses is not None:
        query = query.where(table.c.status.in_(list(statuses)))
    if phone:
        query = query.where(table.c.phone == phone)
    if statuses is None:
        query = query.order_by(table.c.send_at.desc(), table.c.id.desc()).limit(limit)
    else:
        query = query.order_by(table.c.send_at, table.c.id).limit(limit)
    with _bind(engine).connect() as conn:
        rows = [Checkin.from_row(row) for row in conn.execute(query)]
    return sorted(rows, key=lambda row: (row.send_at, row.id))


def get(checkin_id: int, engine: Optional[sa.engine.Engine] = None) -> Optional[Checkin]:
    table = db.checkins
    with _bind(engine).connect() as conn:
        row = conn.execute(sa.select(table).where(table.c.id == checkin_id)).first()
    return Checkin.from_row(row) if row is not None else None


def cancel(checkin_id: int, engine: Optional[sa.engine.Engine] = None) -> bool:
    """Cancels a check-in not yet sent; False when there is no such scheduled one (sent,
    being sent, cancelled before, unknown: `get()` says which)."""
    table = db.checkins
    with _bind(engine).begin() as conn:
        result = conn.execute(
            table.update()
            .where(table.c.id == checkin_id, table.c.status == SCHEDULED)
            .values(status=CANCELLED, reason="cancelled by staff")
        )
    return bool(result.rowcount == 1)


# --- the loop: claim, send once -----------------------------------------------------
def give_up_stuck(engine: sa.engine.Engine, now: datetime) -> int:
    """Rows left 'sending' for over 10 minutes (their server stopped mid-send) become
    failed: the parent may have had the text, so it is never sent again."""
    table = db.checkins
    with engine.begin() as conn:
        result = conn.execute(
            table.update()
            .where(table.c.status == SENDING, table.c.claimed_at < _utc(now) - STUCK_AFTER)
            .values(status=FAILED, reason=STUCK_REASON)
        )
    if result.rowcount:
        logger.error("%d check-in(s) %s", result.rowcount, STUCK_REASON)
    return int(result.rowcount or 0)


def postpone_quiet(engine: sa.engine.Engine, now: datetime, hours: PracticeHours) -> int:
    """Due rows found inside the quiet hours (a server was down when they were due) are
    moved to the end of the quiet hours; they stay scheduled."""
    table = db.checkins
    with engine.begin() as conn:
        result = conn.execute(
            table.update()
            .where(table.c.status == SCHEDULED, table.c.send_at <= _utc(now))
            .values(send_at=hours.next_allowed(now))
        )
    return int(result.rowcount or 0)


def claim_next(engine: sa.engine.Engine, now: datetime, server_id: str) -> Optional[Checkin]:
    """Claims one due check-in for this server (status 'sending'), or None.

    PostgreSQL: the row is locked with `FOR UPDATE SKIP LOCKED` (another server's
    claim in progress is skipped, not waited for) and updated in the same
    transaction. SQLite: a conditional UPDATE; rowcount 1 means it is ours."""
    table = db.checkins
    due = sa.and_(table.c.status == SCHEDULED, table.c.send_at <= _utc(now))
    order = (table.c.send_at, table.c.id)
    claim = {"status": SENDING, "claimed_by": server_id[:64], "claimed_at": clock.now()}
    if db.is_postgresql(engine):
        with engine.begin() as conn:
            row = conn.execute(
                sa.select(table.c.id)
                .where(due)
                .order_by(*order)
                .limit(1)
                .with_for_update(skip_locked=True)
            ).first()
            if row is None:
                return None
            conn.execute(table.update().where(table.c.id == row.id).values(**claim))
            return Checkin.from_row(
                conn.execute(sa.select(table).where(table.c.id == row.id)).one()
            )
    with engine.connect() as conn:
        candidates = list(
            conn.execute(sa.select(table.c.id).where(due).order_by(*order).limit(5)).scalars()
        )
    for checkin_id in candidates:
        with engine.begin() as conn:
            result = conn.execute(
                table.update()
                .where(table.c.id == checkin_id, table.c.status == SCHEDULED)
                .values(**claim)
            )
            if result.rowcount == 1:
                return Checkin.from_row(
                    conn.execute(sa.select(table).where(table.c.id == checkin_id)).one()
                )
    return None


def finish(
    engine: sa.engine.Engine, checkin_id: int, status: str, reason: Optional[str] = None
) -> bool:
    """Records what became of a claimed row (sent, skipped, failed); back to scheduled
    (`status=SCHEDULED`) when nothing was sent."""
    table = db.checkins
    values: dict = {"status": status, "reason": reason}
    if status == SENT:
        values["sent_at"] = clock.now()
    if status == SCHEDULED:
        values.update(claimed_by=None, claimed_at=None)
    with engine.begin() as conn:
        result = conn.execute(
            table.update()
            .where(table.c.id == checkin_id, table.c.status == SENDING)
            .values(**values)
        )
    if result.rowcount != 1:
        logger.error("check-in #%s was no longer 'sending' when it became %s", checkin_id, status)
    return bool(result.rowcount == 1)


class TextRecorder:
    """The SMS sender as the check-in sees it: a copy whose `send` also records that a
    text was handed to Twilio and whether Twilio took it. The SMS output channel
    reports neither, and a check-in Twilio refused must read failed, not sent; one
    interrupted before any text was handed over can safely wait for the next pass."""

    def __init__(self, sender: Any) -> None:
        self.attempted = False
        self.results: List[bool] = []
        self._real = sender
        self.sender = copy.copy(sender)
        self.sender.send = self._send

    async def _send(self, phone: str, body: str, **kwargs: Any) -> bool:
        self.attempted = True
        texted = bool(await self._real.send(phone, body, **kwargs))
        self.results.append(texted)
        return texted


async def send_checkin(agent: Any, sender: Any, phone: str, procedure: str) -> None:
    """Texts the check-in as Rasa's trigger_intent endpoint with `output_channel=twilio`
    does (`rasa/server.py`): under the conversation's lock, on the tracker fetched
    with its session updated (a new session after two hours of silence, slots
    carried over); `Agent.trigger_intent` runs the check-in action, sends its
    messages through the SMS output channel and saves the tracker."""
    from addons.channels.sms.connector import TwilioSmsOutput

    conversation_id = sms_conversation(phone)
    output = TwilioSmsOutput(sender)
    async with agent.lock_store.lock(conversation_id):
        tracker = await agent.processor.fetch_tracker_and_update_session(conversation_id, output)
        await agent.trigger_intent(
            FOLLOWUP_INTENT, [{"entity": PROCEDURE, "value": procedure}], output, tracker
        )


class CheckinJob:
    """The dispatcher's job: each pass gives up rows stuck in 'sending', postpones due
    rows while the quiet hours last, then claims and sends due rows one at a time
    (one at a time, so a server that stops mid-pass strands at most one), for at
    most PASS_SECONDS so the alerts job's next pass is not held up."""

    name = "checkins"

    def __init__(
        self,
        context: Any,
        *,
        engine: Optional[sa.engine.Engine] = None,
        practice: Practice = None,
        server_id: Optional[str] = None,
        send: Optional[Send] = None,
    ) -> None:
        self.context = context
        self._engine = engine
        self._practice = practice
        self._hours: Optional[PracticeHours] = None
        self._server_id = server_id
        self._send: Send = send or send_checkin  # tests without a Rasa agent pass their own

    @property
    def engine(self) -> sa.engine.Engine:
        if self._engine is None:
            self._engine = db.engine()
        return self._engine

    @property
    def hours(self) -> PracticeHours:
        if self._hours is None:
            self._hours = practice_hours(self._practice)
        return self._hours

    @property
    def server_id(self) -> str:
        if self._server_id is None:
            from addons.practice.dispatcher import SERVER_ID

            self._server_id = SERVER_ID
        return self._server_id

    async def run_due(self, now: datetime) -> None:
        engine = self.engine
        await asyncio.to_thread(give_up_stuck, engine, now)
        if self.hours.is_quiet(now):
            moved = await asyncio.to_thread(postpone_quiet, engine, now, self.hours)
            if moved:
                logger.info("%d due check-in(s) moved out of the quiet hours", moved)
            return
        ends = time.monotonic() + PASS_SECONDS
        for _ in range(PER_PASS):
            if time.monotonic() > ends:
                return
            row = await asyncio.to_thread(claim_next, engine, now, self.server_id)
            if row is None:
                return
            sender = self.context.sms_sender
            recorder = TextRecorder(sender) if sender is not None else None
            try:
                status, reason = await self._deliver(row, recorder)
            except asyncio.CancelledError:  # the server is stopping
                if recorder is None or not recorder.attempted:
                    finish(engine, row.id, SCHEDULED)  # nothing texted: the next pass sends it
                raise
            await asyncio.to_thread(finish, engine, row.id, status, reason)
            logger.info(
                "check-in #%s to %s: %s%s",
                row.id,
                mask_phone(row.phone),
                status,
                f" ({reason})" if reason else "",
            )
            if status == SCHEDULED:  # this server cannot send now; a later pass will
                return

    async def _opted_out(self, sender: Any, phone: str) -> bool:
        return bool(await sender.run(sender.store.is_opted_out, phone))

    async def _deliver(
        self, row: Checkin, recorder: Optional[TextRecorder]
    ) -> Tuple[str, Optional[str]]:
        """(status, reason) of a claimed row: STOP and the SMS channel are checked now,
        at send time, not when it was scheduled."""
        if recorder is None:
            return FAILED, SMS_OFF_REASON
        sender = recorder.sender
        if await self._opted_out(sender, row.phone):
            return SKIPPED, OPTED_OUT_REASON
        agent = self.context.agent
        if agent is None or not agent.is_ready():
            return SCHEDULED, None  # nothing sent: released for a later pass
        try:
            await self._send(agent, sender, row.phone, row.procedure)
        except Exception as error:
            logger.exception("sending check-in #%s to %s failed", row.id, mask_phone(row.phone))
            if not recorder.attempted:
                return FAILED, f"error before sending ({type(error).__name__}); see the log"
            return FAILED, f"error while sending ({type(error).__name__}); not resent"
        if recorder.results and all(recorder.results):
            return SENT, None
        if await self._opted_out(sender, row.phone):  # STOP just now, or the carrier's
            return SKIPPED, OPTED_OUT_REASON
        return FAILED, NOT_TEXTED_REASON
