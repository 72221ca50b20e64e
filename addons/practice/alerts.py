"""Red-flag and callback alerts to the practice's on-call contacts.

Two halves, so that a parent's reply never waits for an alert:

* `raise_alert` runs inside the Rasa server right after a turn is saved
  (`observe.py`, on the event loop): one short transaction records the alert and
  one pending delivery per on-call contact (`practice.yml` `on_call`). It never
  raises; a problem is logged and the parent's turn goes on.
* `AlertDeliveryJob`, the dispatcher's "alerts" job, sends what is due: by SMS
  through the SMS channel's Twilio sender, by e-mail through `SMTP_URL`
  (`mail.py`). A delivery is claimed with a conditional update first (pending ->
  sending; PostgreSQL also `FOR UPDATE SKIP LOCKED`), so with several servers on
  one database each is sent by one server only. A failure is retried after 10 s,
  1 min and 5 min; after the fourth attempt the delivery is `failed` and logged
  as an error naming the contact, masked.

Rules:

* At most one red-flag alert per conversation per 30 minutes; a more severe flag
  (emergency after urgent) always alerts. A flag inside the window is still
  recorded (`deduped_by` = the alert that went out) but gets no deliveries, so
  the review report counts every red flag and every alert sent.
* One alert per parent message (`message_key`, unique per conversation), however
  many servers see the turn.
* Callback alerts (kind "callback") wait for the office to open
  (`PracticeHours.next_opening`), and those due together for one contact go as
  one message.
* What staff read: severity in capitals, channel, practice time, the parent as
  ``+***-**67`` (SMS) or a keyed tag like ``id#1a2b3c4d`` (the tag this server's
  logs use; never the session id), the parent's words (phone numbers in them
  masked; trimmed so an SMS stays within 320 GSM-7 characters) and a link to the
  alert, `<STAFF_URL or RASA_URL>/staff/alerts/<alert id>`, from which staff open
  the conversation (the link names no phone number).
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Set, Tuple
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from addons.practice import clock, db
from addons.practice.mail import default_sender, mask_address, send_mail
from common.conversations import CHANNELS, phone_of, split
from common.gsm7 import to_gsm7
from common.hours import DEFAULT_TIMEZONE, PracticeHours
from common.names import CHANNEL_REST, CHANNEL_SHELL, CHANNEL_SMS, CHANNEL_WEB, EMERGENCY, URGENT
from common.phones import mask_phone, mask_phones_in
from common.practice import PracticeError, load_practice, on_call_contacts, practice_path
from common.settings import current

logger = logging.getLogger(__name__)

RED_FLAG = "red_flag"
CALLBACK = "callback"
SEVERITY_RANK = {URGENT: 1, EMERGENCY: 2}
DEDUPE_WINDOW = timedelta(minutes=30)

SMS, EMAIL = "sms", "email"
PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
BACKOFF = (timedelta(seconds=10), timedelta(seconds=60), timedelta(minutes=5))
MAX_ATTEMPTS = len(BACKOFF) + 1
STUCK_AFTER = timedelta(minutes=10)
CLAIM_BATCH = 50
SMS_MAX_CHARS = 320
EMAIL_MAX_WORDS = 2000

SMS_OFF = "SMS channel is off"
SMTP_UNSET = "SMTP_URL is not set"
NOT_SENT_SMS = "Twilio did not send it (refused, or the number opted out; see the log)"
STUCK = "left in sending for over 10 minutes (the server stopped mid-send?); not resent"

CHANNEL_LABELS = {
    CHANNEL_WEB: "web",
    CHANNEL_SMS: "SMS",
    CHANNEL_REST: "REST",
    CHANNEL_SHELL: "command-line test chat",
}
WHAT_THE_PARENT_WAS_TOLD = {
    EMERGENCY: "The assistant told the parent to call 911 or go to the emergency room now.",
    URGENT: "The assistant told the parent to call the practice now (after-hours line included).",
}


# --- what staff read -------------------------------------------------------------------
@dataclass(frozen=True)
class Alert:
    id: int
    kind: str
    severity: str
    conversation_id: str
    channel: str
    words: str
    created_at: datetime


_utc = db.as_utc


def staff_base() -> str:
    settings = current()
    return (settings.staff_url or settings.rasa_url).rstrip("/")


def alert_link(alert_id: int) -> str:
    """Where staff open the alert (and from it the conversation). By the alert's id, not
    the conversation's: an SMS conversation's id is the parent's whole number."""
    return f"{staff_base()}/staff/alerts/{int(alert_id)}"


def parent_tag(conversation_id: str) -> str:
    """``+***-**67`` for an SMS conversation, else a keyed tag (``id#1a2b3c4d``): the
    one the server's logs show for the id, which cannot be turned back into it."""
    phone = phone_of(conversation_id)
    if phone:
        return mask_phone(phone)
    from addons.server.logging_filters import pseudonym

    return pseudonym(conversation_id)


def channel_label(channel: str, conversation_id: str = "") -> str:
    known, _ = split(conversation_id)
    name = channel if channel in CHANNEL_LABELS else CHANNELS.get(channel, known or "")
    return CHANNEL_LABELS.get(name or "", channel or "unknown")


def clock_time(at: datetime) -> str:
    """``10:02 pm``."""
    return f"{at.hour % 12 or 12}:{at.minute:02d} {'am' if at.hour < 12 else 'pm'}"


def day_and_time(at: datetime) -> str:
    """``Tue 10:02 pm``."""
    return f"{at:%a} {clock_time(at)}"


def full_time(at: datetime) -> str:
    """``Tue 14 May 2026, 10:02 pm EDT``."""
    return f"{at:%a} {at.day} {at:%b %Y}, {clock_time(at)} {at.tzname() or ''}".rstrip()


def _plain_words(words: str, gsm7: bool = False) -> str:
    """The parent's words on one line (in GSM-7 for an SMS), phone numbers masked."""
    text = mask_phones_in(words or "")
    return " ".join((to_gsm7(text) if gsm7 else text).split())


def _trim(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    if limit < 4:
        return ""
    return text[: limit - 3].rstrip() + "..."


def _title(alert: Alert) -> str:
    return "Callback request" if alert.kind == CALLBACK else f"{alert.severity.upper()} red flag"


def sms_text(alert: Alert, zone: ZoneInfo) -> str:
    """One alert as an SMS of at most 320 GSM-7 characters (the words give way)."""
    local = alert.created_at.astimezone(zone)
    head = to_gsm7(
        f"{_title(alert)}, {channel_label(alert.channel, alert.conversation_id)}, "
        f"{day_and_time(local)}\nParent {parent_tag(alert.conversation_id)}: "
    )
    link = to_gsm7("\n" + alert_link(alert.id))
    words = _plain_words(alert.words, gsm7=True)
    room = SMS_MAX_CHARS - len(head) - len(link) - 2  # the quotes
    quoted = f'"{_trim(words, room)}"' if words and room >= 12 else "(see the conversation)"
    return (head + quoted + link)[:SMS_MAX_CHARS]


def email_subject(alert: Alert, zone: ZoneInfo) -> str:
    local = clock_time(alert.created_at.astimezone(zone))
    where = f"{channel_label(alert.channel, alert.conversation_id)} conversation"
    if alert.kind == CALLBACK:
        return f"[CALLBACK] Callback request: {where}, {local}"
    return f"[{alert.severity.upper()}] Red flag: {where}, {local}"


def _email_entry(alert: Alert, zone: ZoneInfo) -> List[str]:
    words = _trim(_plain_words(alert.words), EMAIL_MAX_WORDS) or "(none)"
    lines = [
        f"What:      {_title(alert)}",
        f"When:      {full_time(alert.created_at.astimezone(zone))} (practice time)",
        f"Channel:   {channel_label(alert.channel, alert.conversation_id)}",
        f"Parent:    {parent_tag(alert.conversation_id)}",
        f'Words:     "{words}"',
        f"Open:      {alert_link(alert.id)}",
    ]
    told = WHAT_THE_PARENT_WAS_TOLD.get(alert.severity) if alert.kind == RED_FLAG else None
    return lines + ([told] if told else [])


FOOTER = (
    "\n--\nSent by the practice assistant to the on-call contacts in practice.yml "
    "(on_call). The parent is shown by the last two digits of their number (SMS) or a "
    "tag; open the link to read the conversation."
)


def email_body(alert: Alert, zone: ZoneInfo) -> str:
    return "\n".join(_email_entry(alert, zone)) + f"\nAlert: {alert.id}\n" + FOOTER


def callback_sms_texts(alerts: Sequence[Alert], zone: ZoneInfo) -> List[Tuple[List[int], str]]:
    """Callback requests due together, packed into as few SMS as fit 320 characters:
    [(alert ids, text)]."""
    entries = []
    for alert in alerts:
        local = alert.created_at.astimezone(zone)
        entries.append(
            (
                alert.id,
                to_gsm7(
                    f"{channel_label(alert.channel, alert.conversation_id)} "
                    f"{parent_tag(alert.conversation_id)}, {day_and_time(local)}: "
                    # our own words (`callbacks.record`): the number masked, what was
                    # promised, whether the parent writes in Spanish
                    f"{_plain_words(alert.words, gsm7=True)} {alert_link(alert.id)}"
                ),
            )
        )
    texts: List[Tuple[List[int], str]] = []
    ids: List[int] = []
    lines: List[str] = []

    def flush() -> None:
        if lines:
            count = len(lines)
            head = f"{count} callback request{'s' if count > 1 else ''} (call back):"
            texts.append((list(ids), _trim("\n".join([head, *lines]), SMS_MAX_CHARS)))
            ids.clear()
            lines.clear()

    for alert_id, line in entries:
        candidate = "\n".join(["99 callback requests (call back):", *lines, f"- {line}"])
        if lines and len(candidate) > SMS_MAX_CHARS:
            flush()
        ids.append(alert_id)
        lines.append(f"- {line}")
    flush()
    return texts


def callback_email(alerts: Sequence[Alert], zone: ZoneInfo) -> Tuple[str, str]:
    if len(alerts) == 1:
        return email_subject(alerts[0], zone), email_body(alerts[0], zone)
    subject = f"[CALLBACK] {len(alerts)} callback requests"
    blocks = ["\n".join(_email_entry(alert, zone) + [f"Alert: {alert.id}"]) for alert in alerts]
    return subject, f"{len(alerts)} parents asked for a call back.\n\n" + "\n\n".join(
        blocks
    ) + "\n" + FOOTER


# --- the practice file, read once per change ------------------------------------------------
_practice_cache: Dict[str, Tuple[float, Dict[str, Any]]] = {}


def _current_practice() -> Dict[str, Any]:
    """`practice.yml` (or PRACTICE_FILE), read again only when the file changed."""
    path = practice_path()
    try:
        stamp = Path(path).stat().st_mtime
    except OSError:
        stamp = -1.0
    cached = _practice_cache.get(str(path))
    if cached is None or cached[0] != stamp:
        cached = (stamp, load_practice(path))
        _practice_cache[str(path)] = cached
    return cached[1]


def _zone(practice: Optional[Mapping[str, Any]]) -> ZoneInfo:
    try:
        return PracticeHours.from_practice(practice or _current_practice()).zone
    except (PracticeError, OSError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def tracker_engine() -> sa.engine.Engine:
    """The tracker database's engine (one per process). Not `db.engine()` with no URL:
    that pings the database first, retrying for DATABASE_WAIT_SECONDS, which must not
    happen on the event loop at every red flag (the server checked it at start)."""
    from addons.server.database import database_url

    return db.engine(database_url()[0])


# --- raising an alert ----------------------------------------------------------------------
def raise_alert(
    kind: str,
    severity: str,
    conversation_id: str,
    channel: str,
    words: str,
    message_key: str,
    *,
    now: Optional[datetime] = None,
    engine: Optional[sa.engine.Engine] = None,
    practice: Optional[Mapping[str, Any]] = None,
) -> Optional[int]:
    """Records an alert and its pending deliveries; returns its id, or None when
    nothing new will be sent (the message was recorded before, the flag falls in
    the 30-minute window, or the database failed: logged). Never raises."""
    try:
        return _raise(
            kind, severity, conversation_id, channel, words, message_key, now, engine, practice
        )
    except Exception as error:
        # Not the traceback: a database error's text carries the statement's parameters
        # (the parent's words, the conversation id).
        reason = str(getattr(error, "orig", None) or "").strip().splitlines()[:1]
        logger.error(
            "practice loop: recording a %s alert (%s) failed: %s%s",
            kind,
            parent_tag(conversation_id),
            type(error).__name__,
            f" ({reason[0][:200]})" if reason else "",
            exc_info=not isinstance(error, sa.exc.SQLAlchemyError),
        )
        return None


def _contacts(practice: Optional[Mapping[str, Any]]) -> Tuple[List[str], List[str], Any]:
    """(sms, emails, the practice) - empty lists, logged, when the file is unusable."""
    try:
        practice = practice if practice is not None else _current_practice()
        sms, emails = on_call_contacts(dict(practice))
        return sms, emails, practice
    except (PracticeError, OSError) as error:
        logger.error("on-call contacts unusable (%s): the alert is recorded, sent to no one", error)
        return [], [], practice


def _already_alerted(
    conn: sa.engine.Connection, conversation_id: str, severity: str, now: datetime
) -> Optional[int]:
    """The alert that went out for this conversation within 30 minutes and was at
    least as severe (so this flag adds nothing), else None."""
    table = db.alerts
    rows = conn.execute(
        sa.select(table.c.id, table.c.severity)
        .where(
            table.c.conversation_id == conversation_id,
            table.c.kind == RED_FLAG,
            table.c.deduped_by.is_(None),
            table.c.created_at > now - DEDUPE_WINDOW,
        )
        .order_by(table.c.created_at.desc(), table.c.id.desc())
    ).all()
    rank = SEVERITY_RANK.get(severity, 1)
    for row in rows:
        if SEVERITY_RANK.get(row.severity, 1) >= rank:
            return int(row.id)
    return None


def _raise(
    kind: str,
    severity: str,
    conversation_id: str,
    channel: str,
    words: str,
    message_key: str,
    now: Optional[datetime],
    engine: Optional[sa.engine.Engine],
    practice: Optional[Mapping[str, Any]],
) -> Optional[int]:
    at = _utc(now or clock.now())
    if kind == CALLBACK:
        severity = CALLBACK
    elif kind != RED_FLAG:
        raise ValueError(f"unknown alert kind {kind!r}")
    sms, emails, practice = _contacts(practice)
    due = at
    if kind == CALLBACK and practice is not None:
        try:
            due = _utc(PracticeHours.from_practice(practice).next_opening(at) or at)
        except PracticeError as error:
            logger.error("office_hours unusable (%s): the callback alert goes out now", error)
    bind = engine or tracker_engine()
    alerts, deliveries = db.alerts, db.deliveries
    targets = [(SMS, phone) for phone in sms] + [(EMAIL, email) for email in emails]
    try:
        with bind.begin() as conn:
            seen = (
                message_key
                and conn.execute(
                    sa.select(alerts.c.id).where(
                        alerts.c.conversation_id == conversation_id,
                        alerts.c.message_key == message_key,
                    )
                ).first()
            )
            if seen:
                return None
            deduped_by = (
                _already_alerted(conn, conversation_id, severity, at) if kind == RED_FLAG else None
            )
            alert_id = conn.execute(
                alerts.insert().values(
                    kind=kind,
                    severity=severity,
                    conversation_id=conversation_id,
                    channel=channel,
                    words=words or "",
                    created_at=at,
                    message_key=message_key or None,
                    deduped_by=deduped_by,
                )
            ).inserted_primary_key[0]
            if deduped_by is None:
                for medium, target in targets:
                    conn.execute(
                        deliveries.insert().values(
                            alert_id=alert_id,
                            medium=medium,
                            target=target,
                            status=PENDING,
                            attempts=0,
                            next_attempt_at=due,
                        )
                    )
    except sa.exc.IntegrityError:
        return None  # another server recorded this message a moment ago
    tag = parent_tag(conversation_id)
    if deduped_by is not None:
        logger.info(
            "%s red flag (%s) not alerted again: alert %s went out within 30 minutes",
            severity,
            tag,
            deduped_by,
        )
        return None
    if not targets:
        logger.warning(
            "alert %s (%s, %s) recorded but sent to no one: practice.yml has no on_call contacts",
            alert_id,
            severity,
            tag,
        )
    else:
        logger.info(
            "alert %s (%s, %s) recorded for %d contact(s)", alert_id, severity, tag, len(targets)
        )
    return int(alert_id)


# --- delivering ------------------------------------------------------------------------------
@dataclass
class Delivery:
    id: int
    medium: str
    target: str
    attempts: int
    alert: Alert


@dataclass
class Outcome:
    sent: bool
    error: str = ""
    permanent: bool = False  # retrying cannot help (a setting is missing)


def masked_contact(medium: str, target: str) -> str:
    return mask_phone(target) if medium == SMS else mask_address(target)


def _safe_error(error: BaseException, medium: str, target: str) -> str:
    """An exception as text for the record and the log, the contact masked."""
    text = f"{type(error).__name__}: {error}".replace(target, masked_contact(medium, target))
    return mask_phones_in(text)[:500]


class AlertDeliveryJob:
    """The dispatcher's "alerts" job (see the module's docstring). `engine`,
    `practice` and `tls_context` default to the server's own (tests give theirs)."""

    name = "alerts"

    def __init__(
        self,
        context: Any,
        *,
        engine: Optional[sa.engine.Engine] = None,
        practice: Optional[Mapping[str, Any]] = None,
        tls_context: Optional[ssl.SSLContext] = None,
        server_id: str = "",
    ) -> None:
        from addons.practice.dispatcher import SERVER_ID

        self.context = context
        self.engine = engine
        self.practice = practice
        self.tls_context = tls_context
        self.server_id = server_id or SERVER_ID
        self._warned: Set[str] = set()
        self._checked = False

    def _bind(self) -> sa.engine.Engine:
        return self.engine or tracker_engine()

    def _warn_once(self, key: str, message: str, *args: Any) -> None:
        if key not in self._warned:
            self._warned.add(key)
            logger.error(message, *args)

    def _check_setup(self) -> None:
        """Says once, at the first pass, what will stop alerts from reaching anyone."""
        self._checked = True
        sms, emails, _ = _contacts(self.practice)
        if not sms and not emails:
            logger.warning(
                "practice.yml has no on_call contacts: red flags are recorded, no one is alerted"
            )
        if sms and getattr(self.context, "sms_sender", None) is None:
            self._warn_once(SMS_OFF, "on-call SMS alerts cannot be sent: the SMS channel is off")
        if emails and not current().smtp_url:
            self._warn_once(SMTP_UNSET, "on-call e-mail alerts cannot be sent: SMTP_URL is not set")

    async def run_due(self, now: datetime) -> None:
        if not self._checked:
            self._check_setup()
        now = _utc(now)
        await asyncio.to_thread(self.fail_stuck, now)
        claimed = await asyncio.to_thread(self.claim, now)
        if claimed:
            await asyncio.gather(*(self._deliver(group, now) for group in _groups(claimed)))

    # -- claiming (worker threads) --
    def fail_stuck(self, now: datetime) -> int:
        """Deliveries left `sending` by a server that died mid-send: failed, not resent
        (the message may have gone out)."""
        table = db.deliveries
        failed = 0
        with self._bind().begin() as conn:
            rows = conn.execute(
                sa.select(table.c.id, table.c.alert_id, table.c.medium, table.c.target).where(
                    table.c.status == SENDING, table.c.claimed_at < now - STUCK_AFTER
                )
            ).all()
            for row in rows:
                changed = conn.execute(
                    table.update()
                    .where(table.c.id == row.id, table.c.status == SENDING)
                    .values(status=FAILED, last_error=STUCK)
                ).rowcount
                if changed:
                    failed += 1
                    logger.error(
                        "alert %s: %s to %s %s",
                        row.alert_id,
                        "SMS" if row.medium == SMS else "e-mail",
                        masked_contact(row.medium, row.target),
                        STUCK,
                    )
        return failed

    def claim(self, now: datetime) -> List[Delivery]:
        """Due deliveries this server now owns (pending -> sending, only if still pending)."""
        bind = self._bind()
        table, alerts = db.deliveries, db.alerts
        due = (
            sa.select(table.c.id)
            .where(table.c.status == PENDING, table.c.next_attempt_at <= now)
            .order_by(table.c.next_attempt_at, table.c.id)
            .limit(CLAIM_BATCH)
        )
        if db.is_postgresql(bind):
            due = due.with_for_update(skip_locked=True)
        claimed: List[int] = []
        with bind.begin() as conn:
            for delivery_id in conn.execute(due).scalars().all():
                changed = conn.execute(
                    table.update()
                    .where(table.c.id == delivery_id, table.c.status == PENDING)
                    .values(status=SENDING, claimed_by=self.server_id, claimed_at=now)
                ).rowcount
                if changed == 1:
                    claimed.append(delivery_id)
        if not claimed:
            return []
        with bind.connect() as conn:
            rows = conn.execute(
                sa.select(table, alerts.c.kind, alerts.c.severity, alerts.c.conversation_id)
                .add_columns(alerts.c.channel, alerts.c.words, alerts.c.created_at)
                .join(alerts, alerts.c.id == table.c.alert_id)
                .where(table.c.id.in_(claimed))
                .order_by(table.c.id)
            ).all()
        return [
            Delivery(
                id=row.id,
                medium=row.medium,
                target=row.target,
                attempts=row.attempts,
                alert=Alert(
                    id=row.alert_id,
                    kind=row.kind,
                    severity=row.severity,
                    conversation_id=row.conversation_id,
                    channel=row.channel,
                    words=row.words,
                    created_at=_utc(row.created_at),
                ),
            )
            for row in rows
        ]

    # -- sending (event loop; blocking work in threads) --
    async def _deliver(self, group: List[Delivery], now: datetime) -> None:
        zone = _zone(self.practice)
        first = group[0]
        alerts = [delivery.alert for delivery in group]
        try:
            if first.medium == SMS:
                if first.alert.kind == CALLBACK:
                    texts = callback_sms_texts(alerts, zone)
                else:
                    texts = [([first.alert.id], sms_text(first.alert, zone))]
                for ids, text in texts:
                    part = [d for d in group if d.alert.id in ids]
                    outcome = await self._send_sms(first.target, text)
                    await asyncio.to_thread(self.record, part, outcome, now)
                return
            if first.alert.kind == CALLBACK:
                subject, body = callback_email(alerts, zone)
            else:
                subject, body = email_subject(first.alert, zone), email_body(first.alert, zone)
            outcome = await self._send_email(first.target, subject, body)
        except Exception as error:  # a bug here must not leave the delivery "sending"
            outcome = Outcome(False, _safe_error(error, first.medium, first.target))
        await asyncio.to_thread(self.record, group, outcome, now)

    async def _send_sms(self, phone: str, text: str) -> Outcome:
        sender = getattr(self.context, "sms_sender", None)
        if sender is None:
            return Outcome(False, SMS_OFF, permanent=True)
        try:
            sent = await sender.send(phone, text)
        except Exception as error:
            return Outcome(False, _safe_error(error, SMS, phone))
        return Outcome(True) if sent else Outcome(False, NOT_SENT_SMS)

    async def _send_email(self, address: str, subject: str, body: str) -> Outcome:
        settings = current()
        if not settings.smtp_url:
            self._warn_once(SMTP_UNSET, "on-call e-mail alerts cannot be sent: SMTP_URL is not set")
            return Outcome(False, SMTP_UNSET, permanent=True)
        sender = settings.alert_email_from or default_sender(settings.smtp_url)
        try:
            await asyncio.to_thread(
                send_mail,
                settings.smtp_url,
                sender,
                address,
                subject,
                body,
                tls_context=self.tls_context,
            )
        except Exception as error:
            return Outcome(False, _safe_error(error, EMAIL, address))
        return Outcome(True)

    # -- recording (worker thread) --
    def record(self, group: Sequence[Delivery], outcome: Outcome, now: datetime) -> None:
        table = db.deliveries
        with self._bind().begin() as conn:
            for delivery in group:
                attempts = delivery.attempts + 1
                values: Dict[str, Any] = {"attempts": attempts}
                if outcome.sent:
                    values.update(status=SENT, sent_at=now, last_error=None)
                elif outcome.permanent or attempts >= MAX_ATTEMPTS:
                    values.update(status=FAILED, last_error=outcome.error)
                else:
                    values.update(
                        status=PENDING,
                        next_attempt_at=now + BACKOFF[attempts - 1],
                        last_error=outcome.error,
                    )
                conn.execute(
                    table.update()
                    .where(table.c.id == delivery.id, table.c.status == SENDING)
                    .values(**values)
                )
                self._log(delivery, outcome, values)

    @staticmethod
    def _log(delivery: Delivery, outcome: Outcome, values: Mapping[str, Any]) -> None:
        alert = delivery.alert
        how = "SMS" if delivery.medium == SMS else "e-mail"
        contact = masked_contact(delivery.medium, delivery.target)
        what = f"alert {alert.id} ({alert.severity})"
        if values["status"] == SENT:
            logger.info("%s sent by %s to %s", what, how, contact)
        elif values["status"] == FAILED:
            logger.error(
                "%s NOT delivered: %s to %s failed after %d attempt(s): %s",
                what,
                how,
                contact,
                values["attempts"],
                outcome.error,
            )
        else:
            logger.warning(
                "%s: %s to %s failed (attempt %d of %d), retrying at %s: %s",
                what,
                how,
                contact,
                values["attempts"],
                MAX_ATTEMPTS,
                values["next_attempt_at"].isoformat(timespec="seconds"),
                outcome.error,
            )


def _groups(claimed: Sequence[Delivery]) -> List[List[Delivery]]:
    """One group per red-flag delivery; callback deliveries for one contact together."""
    groups: List[List[Delivery]] = []
    batches: Dict[Tuple[str, str], List[Delivery]] = {}
    for delivery in claimed:
        if delivery.alert.kind == CALLBACK:
            key = (delivery.medium, delivery.target)
            if key not in batches:
                batches[key] = []
                groups.append(batches[key])
            batches[key].append(delivery)
        else:
            groups.append([delivery])
    return groups
