"""What the console's pages show and change: reads and writes on the tracker database.

Plain functions on an engine (`addons.practice.db.engine()`), called by `web.py`
in a worker thread (`asyncio.to_thread`), never on the server's event loop:

* the inbox: open red-flag alerts (`practice_alerts`: kind red_flag, not within 30
  minutes of one already sent, not handled) and callback requests
  (`practice_callbacks`: status requested), most severe first, then newest;
* one alert with its deliveries; marking an alert or a callback request handled
  (who and when; a callback request's alert is marked with it);
* a conversation's transcript from Rasa's `events` table, as the parent saw it on
  its channel, with its red flags and the topics answered;
* the `make review` figures of a period (`addons.staff.review`).

Nothing here masks on its own initiative except phone numbers: every text that can
hold one goes through `Masker` (the practice's own numbers stay readable; the rest
read ``+***-**67`` unless the person chose to reveal them on that page).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Set, Tuple

import sqlalchemy as sa

from addons.practice import db
from addons.practice.alerts import (
    CALLBACK,
    RED_FLAG,
    SEVERITY_RANK,
    WHAT_THE_PARENT_WAS_TOLD,
    channel_label,
    parent_tag,
)
from common.conversations import phone_of, split
from common.names import (
    CHANNEL_SMS,
    FALLBACK_INTENT,
    LAST_TOPIC,
    OUT_OF_SCOPE_INTENT,
)
from common.names import RED_FLAG as RED_FLAG_ENTITY
from common.phones import PHONE_IN_TEXT, mask_phone

MAX_TRANSCRIPT_ENTRIES = 400  # the latest ones; older ones are counted, not shown
MAX_INBOX_ITEMS = 200
SMS_CHOICES = 5  # buttons offered as numbers by SMS (the SMS channel's MAX_CHOICES)
CALLBACK_RANK = 0
NOT_UNDERSTOOD = {FALLBACK_INTENT: "not understood", OUT_OF_SCOPE_INTENT: "out of scope"}


utc = db.as_utc


# --- conversation references in URLs -------------------------------------------------------
def conversation_ref(conversation_id: str) -> str:
    """The conversation's id as it appears in a console URL: base64url, so an SMS
    conversation's phone number is not in the address bar, the history or a proxy's
    log (the session, not this encoding, is what protects the page)."""
    return base64.urlsafe_b64encode(conversation_id.encode("utf-8")).decode("ascii").rstrip("=")


def conversation_from_ref(ref: str) -> Optional[str]:
    """The conversation id of a URL reference; None when it is not one."""
    if not ref or len(ref) > 700 or not re.fullmatch(r"[A-Za-z0-9_-]+", ref):
        return None
    try:
        raw = base64.urlsafe_b64decode(ref + "=" * (-len(ref) % 4))
        text = raw.decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    if not text or len(text) > 255 or not text.isprintable() or conversation_ref(text) != ref:
        return None
    return text


# --- phone numbers ---------------------------------------------------------------------------
def _digits(text: str) -> str:
    return re.sub(r"\D", "", text or "")


class Masker:
    """Masks phone numbers in text (``+***-**67``), except the practice's own; shows
    them whole when `reveal`."""

    def __init__(self, keep: Iterable[str] = (), reveal: bool = False) -> None:
        self.reveal = reveal
        self.hidden = 0  # numbers masked so far (is there anything to reveal?)
        self.keep: Set[str] = set()
        for number in keep:
            digits = _digits(number)
            if len(digits) >= 7:
                self.keep.add(digits[-10:])

    def phone(self, number: Optional[str]) -> str:
        if self.reveal:
            return number or ""
        self.hidden += 1 if number else 0
        return mask_phone(number)

    def text(self, text: Optional[str]) -> str:
        if not text or self.reveal:
            return text or ""

        def one(match: "re.Match[str]") -> str:
            found = match.group(0)
            if _digits(found)[-10:] in self.keep:
                return found
            self.hidden += 1
            return mask_phone(found)

        return PHONE_IN_TEXT.sub(one, text)


def practice_numbers(practice: Mapping[str, Any]) -> List[str]:
    """The practice's own phone numbers (practice.yml: `phone`, `phone_e164`, and any
    number in its other texts, such as the after-hours line), never masked."""
    found: List[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, (str, int)):
            found.extend(m.group(0) for m in PHONE_IN_TEXT.finditer(str(value)))

    for key in ("phone", "phone_e164", "after_hours", "spanish"):
        walk(practice.get(key))
    return found


# --- the inbox -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Delivery:
    medium: str  # sms | email
    contact: str  # masked
    status: str  # pending | sending | sent | failed
    attempts: int
    error: str


@dataclass
class InboxItem:
    kind: str  # red_flag | callback
    id: int  # the alert's id, or the callback request's
    severity: str  # emergency | urgent | callback
    channel: str  # as staff read it
    created_at: dt.datetime
    parent: str  # masked
    words: str  # phone numbers masked
    delivery: str  # one line: how the alert reached the on-call contacts
    conversation_ref: str
    alert_id: Optional[int] = None
    request: str = ""  # a callback request: what the practice was asked (and told)

    @property
    def rank(self) -> int:
        return CALLBACK_RANK if self.kind == CALLBACK else SEVERITY_RANK.get(self.severity, 1)


def delivery_summary(deliveries: Sequence[Delivery]) -> str:
    """``Sent to 2 contacts``, ``1 sent, 1 failed``, ``Sending...``, ``Not sent: ...``."""
    if not deliveries:
        return "Not sent to anyone: no on-call contacts are set up"
    sent = sum(1 for d in deliveries if d.status == "sent")
    failed = sum(1 for d in deliveries if d.status == "failed")
    waiting = len(deliveries) - sent - failed
    if sent == len(deliveries):
        return f"Sent to {sent} on-call contact{'s' if sent != 1 else ''}"
    parts = []
    if sent:
        parts.append(f"{sent} sent")
    if failed:
        parts.append(f"{failed} failed")
    if waiting:
        parts.append(f"{waiting} waiting to be sent")
    return ", ".join(parts).capitalize()


def _deliveries(connection: Any, alert_ids: Sequence[int]) -> Dict[int, List[Delivery]]:
    from addons.staff.review.heard import first_line, masked_contact

    result: Dict[int, List[Delivery]] = {}
    if not alert_ids:
        return result
    table = db.deliveries
    rows = connection.execute(
        sa.select(table).where(table.c.alert_id.in_(list(alert_ids))).order_by(table.c.id)
    )
    for row in rows:
        result.setdefault(int(row.alert_id), []).append(
            Delivery(
                medium=row.medium,
                contact=masked_contact(row.medium, row.target),
                status=row.status,
                attempts=int(row.attempts or 0),
                error=first_line(row.last_error),
            )
        )
    return result


def inbox(engine: sa.engine.Engine, masker: Masker) -> List[InboxItem]:
    """Open red-flag alerts and callback requests: emergency, urgent, then callback
    requests; newest first within each."""
    alerts, callbacks = db.alerts, db.callbacks
    with engine.connect() as connection:
        flags = connection.execute(
            sa.select(alerts)
            .where(
                alerts.c.kind == RED_FLAG,
                alerts.c.deduped_by.is_(None),
                alerts.c.handled_at.is_(None),
            )
            .order_by(alerts.c.created_at.desc(), alerts.c.id.desc())
            .limit(MAX_INBOX_ITEMS)
        ).all()
        requests = connection.execute(
            sa.select(callbacks)
            .where(callbacks.c.status == "requested")
            .order_by(callbacks.c.created_at.desc(), callbacks.c.id.desc())
            .limit(MAX_INBOX_ITEMS)
        ).all()
        ids = [int(r.id) for r in flags] + [int(r.alert_id) for r in requests if r.alert_id]
        sent = _deliveries(connection, ids)
        request_ids = [int(r.alert_id) for r in requests if r.alert_id]
        asked = (
            dict(
                connection.execute(
                    sa.select(alerts.c.id, alerts.c.words).where(alerts.c.id.in_(request_ids))
                ).all()
            )
            if request_ids
            else {}
        )
    items = [
        InboxItem(
            kind=RED_FLAG,
            id=int(row.id),
            severity=row.severity,
            channel=channel_label(row.channel, row.conversation_id),
            created_at=utc(row.created_at) or dt.datetime.now(dt.timezone.utc),
            parent=parent_tag(row.conversation_id),
            words=masker.text(row.words),
            delivery=delivery_summary(sent.get(int(row.id), [])),
            conversation_ref=conversation_ref(row.conversation_id),
            alert_id=int(row.id),
        )
        for row in flags
    ]
    items += [
        InboxItem(
            kind=CALLBACK,
            id=int(row.id),
            severity=CALLBACK,
            channel=channel_label(row.channel, row.conversation_id),
            created_at=utc(row.created_at) or dt.datetime.now(dt.timezone.utc),
            parent=masker.phone(row.phone),
            words=masker.text(row.words),
            delivery=(
                delivery_summary(sent.get(int(row.alert_id), []))
                if row.alert_id
                else "No alert was recorded for it"
            ),
            conversation_ref=conversation_ref(row.conversation_id),
            alert_id=int(row.alert_id) if row.alert_id else None,
            request=masker.text(asked.get(int(row.alert_id), "")) if row.alert_id else "",
        )
        for row in requests
    ]
    items.sort(key=lambda item: (-item.rank, -item.created_at.timestamp(), -item.id))
    return items


# --- one alert ---------------------------------------------------------------------------------
@dataclass
class AlertView:
    id: int
    kind: str
    severity: str
    title: str
    channel: str
    created_at: dt.datetime
    parent: str
    words: str
    told: str
    deliveries: List[Delivery]
    delivery: str
    handled_at: Optional[dt.datetime]
    handled_by: str
    deduped_by: Optional[int]
    conversation_ref: str
    callback_id: Optional[int] = None  # a callback alert: its request
    callback_status: str = ""


def alert(engine: sa.engine.Engine, alert_id: int, masker: Masker) -> Optional[AlertView]:
    alerts, callbacks = db.alerts, db.callbacks
    with engine.connect() as connection:
        row = connection.execute(sa.select(alerts).where(alerts.c.id == alert_id)).first()
        if row is None:
            return None
        deliveries = _deliveries(connection, [int(row.id)]).get(int(row.id), [])
        request = connection.execute(
            sa.select(callbacks.c.id, callbacks.c.status, callbacks.c.handled_at)
            .add_columns(callbacks.c.handled_by)
            .where(callbacks.c.alert_id == row.id)
        ).first()
    callback = row.kind == CALLBACK
    handled_at = utc(row.handled_at)
    handled_by = row.handled_by or ""
    if request is not None and handled_at is None and request.handled_at is not None:
        handled_at, handled_by = utc(request.handled_at), request.handled_by or ""
    return AlertView(
        id=int(row.id),
        kind=row.kind,
        severity=row.severity,
        title="Callback request" if callback else f"{row.severity.capitalize()} red flag",
        channel=channel_label(row.channel, row.conversation_id),
        created_at=utc(row.created_at) or dt.datetime.now(dt.timezone.utc),
        parent=parent_tag(row.conversation_id),
        words=masker.text(row.words),
        told=WHAT_THE_PARENT_WAS_TOLD.get(row.severity, ""),
        deliveries=deliveries,
        delivery=delivery_summary(deliveries) if row.deduped_by is None else "",
        handled_at=handled_at,
        handled_by=handled_by,
        deduped_by=row.deduped_by,
        conversation_ref=conversation_ref(row.conversation_id),
        callback_id=int(request.id) if request is not None else None,
        callback_status=request.status if request is not None else "",
    )


def mark_alert_handled(
    engine: sa.engine.Engine, alert_id: int, who: str, now: dt.datetime
) -> Optional[str]:
    """Records who handled a red-flag alert and when. Returns its conversation's tag
    (for the audit log), or None when there is no such alert or it was handled
    already. A callback alert is handled through its request (`mark_callback_handled`)."""
    alerts = db.alerts
    with engine.begin() as connection:
        row = connection.execute(
            sa.select(alerts.c.conversation_id, alerts.c.kind).where(alerts.c.id == alert_id)
        ).first()
        if row is None:
            return None
        if row.kind == CALLBACK:
            request = connection.execute(
                sa.select(db.callbacks.c.id).where(db.callbacks.c.alert_id == alert_id)
            ).first()
            if request is not None:
                return _handle_callback(connection, int(request.id), who, now)
        changed = connection.execute(
            alerts.update()
            .where(alerts.c.id == alert_id, alerts.c.handled_at.is_(None))
            .values(handled_at=now, handled_by=who[:255])
        ).rowcount
    return parent_tag(row.conversation_id) if changed == 1 else None


def _handle_callback(
    connection: Any, callback_id: int, who: str, now: dt.datetime
) -> Optional[str]:
    callbacks, alerts = db.callbacks, db.alerts
    row = connection.execute(
        sa.select(callbacks.c.phone, callbacks.c.alert_id).where(callbacks.c.id == callback_id)
    ).first()
    if row is None:
        return None
    changed = connection.execute(
        callbacks.update()
        .where(callbacks.c.id == callback_id, callbacks.c.status == "requested")
        .values(status="handled", handled_at=now, handled_by=who[:255])
    ).rowcount
    if changed != 1:
        return None
    if row.alert_id:
        connection.execute(
            alerts.update()
            .where(alerts.c.id == row.alert_id, alerts.c.handled_at.is_(None))
            .values(handled_at=now, handled_by=who[:255])
        )
    return mask_phone(row.phone)


def mark_callback_handled(
    engine: sa.engine.Engine, callback_id: int, who: str, now: dt.datetime
) -> Optional[str]:
    """Records who handled a callback request and when (its alert too). Returns the
    parent's number masked (for the audit log), or None when there is no such open
    request."""
    with engine.begin() as connection:
        return _handle_callback(connection, callback_id, who, now)


# --- a conversation -------------------------------------------------------------------------
@dataclass
class Entry:
    """One line of a transcript."""

    who: str  # parent | assistant | session
    at: dt.datetime
    text: str = ""
    lines: List[str] = field(default_factory=list)  # what the parent read, paragraph by paragraph
    buttons: List[str] = field(default_factory=list)  # buttons as the parent saw them
    chose: str = ""  # the button the parent tapped (or the number texted)
    red_flag: str = ""  # emergency | urgent
    note: str = ""  # not understood, out of scope
    topic: str = ""  # the answer's topic (its title)


@dataclass
class Transcript:
    conversation_id: str
    ref: str
    channel: str  # as staff read it
    parent: str  # the parent, masked unless revealed
    entries: List[Entry]
    earlier: int  # entries not shown (older than the latest MAX_TRANSCRIPT_ENTRIES)
    alerts: List[Dict[str, Any]]
    callbacks: List[Dict[str, Any]]
    revealed: bool
    maskable: bool = False  # a number is masked on the page: offer to show it

    @property
    def red_flags(self) -> int:
        return sum(1 for e in self.entries if e.red_flag)

    @property
    def answers(self) -> List[str]:
        seen: List[str] = []
        for entry in self.entries:
            if entry.topic and entry.topic not in seen:
                seen.append(entry.topic)
        return seen


def _sms_lines(text: str, buttons: Sequence[Dict[str, Any]], custom: Any) -> List[str]:
    """A bot message as the SMS channel texts it (addons/channels/sms/connector.py)."""
    from addons.channels.sms import format as sms_format

    options = custom.get("sms") if isinstance(custom, dict) else None
    options = options if isinstance(options, dict) else {}
    titles = [str(b.get("title") or "") for b in buttons if b.get("payload")][:SMS_CHOICES]
    parts = sms_format.split_sms(sms_format.to_sms_text(text))
    if not options.get("choices_in_text"):
        language = "es" if options.get("language") == "es" else "en"
        line = sms_format.choices_line(titles, more=bool(options.get("more")), language=language)
        if line:
            if parts and len(parts[-1]) + 1 + len(line) <= sms_format.MAX_CHARS:
                parts[-1] = f"{parts[-1]}\n{line}"
            else:
                parts.append(line)
    return parts


def _events(engine: sa.engine.Engine, conversation_id: str) -> List[Any]:
    from addons.server.database import events_table

    events = events_table()
    try:
        with engine.connect() as connection:
            return list(
                connection.execute(
                    sa.select(events.c.type_name, events.c.timestamp, events.c.action_name)
                    .add_columns(events.c.data)
                    .where(events.c.sender_id == conversation_id)
                    .order_by(events.c.id)
                )
            )
    except (sa.exc.OperationalError, sa.exc.ProgrammingError):
        return []  # no `events` table yet: no conversation has been saved


def transcript(
    engine: sa.engine.Engine,
    conversation_id: str,
    masker: Masker,
    titles: Mapping[str, str],
) -> Optional[Transcript]:
    """The conversation as the parent saw it; None when nothing of it is stored."""
    rows = _events(engine, conversation_id)
    related_alerts, related_callbacks = _related(engine, conversation_id, masker)
    if not rows and not related_alerts and not related_callbacks:
        return None
    channel, _ = split(conversation_id)
    sms = channel == CHANNEL_SMS
    entries: List[Entry] = []
    offered: List[Tuple[str, str]] = []  # (title, payload) of the last bot buttons
    last_bot: Optional[Entry] = None
    carried = False
    for row in rows:
        at = dt.datetime.fromtimestamp(float(row.timestamp or 0), dt.timezone.utc)
        if row.type_name == "action" and row.action_name == "action_session_start":
            entries.append(Entry(who="session", at=at))
            offered, last_bot = [], None
            continue
        if row.type_name == "session_started":
            carried = True
            continue
        if row.type_name not in ("user", "bot", "slot"):
            continue
        try:
            event = json.loads(row.data or "{}")
        except ValueError:
            continue
        if row.type_name == "user":
            carried = False
            entries.append(_parent_entry(event, at, offered, sms, masker))
            offered, last_bot = [], None
        elif row.type_name == "bot":
            data = event.get("data") or {}
            buttons = [b for b in (data.get("buttons") or data.get("quick_replies") or []) if b]
            text = str(event.get("text") or "")
            entry = Entry(who="assistant", at=at)
            if sms:
                entry.lines = [
                    masker.text(part) for part in _sms_lines(text, buttons, data.get("custom"))
                ]
            else:
                entry.lines = [masker.text(p) for p in re.split(r"\n\s*\n", text.strip()) if p]
                entry.buttons = [masker.text(str(b.get("title") or "")) for b in buttons]
            offered = [(str(b.get("title") or ""), str(b.get("payload") or "")) for b in buttons]
            if entry.lines or entry.buttons:
                entries.append(entry)
                last_bot = entry
        elif row.type_name == "slot" and event.get("name") == LAST_TOPIC and not carried:
            value = event.get("value")
            if value and last_bot is not None:
                last_bot.topic = titles.get(str(value), str(value))
    earlier = max(0, len(entries) - MAX_TRANSCRIPT_ENTRIES)
    phone = phone_of(conversation_id)
    return Transcript(
        conversation_id=conversation_id,
        ref=conversation_ref(conversation_id),
        channel=channel_label(channel or "", conversation_id),
        parent=masker.phone(phone) if phone else parent_tag(conversation_id),
        entries=entries[earlier:],
        earlier=earlier,
        alerts=related_alerts,
        callbacks=related_callbacks,
        revealed=masker.reveal,
        maskable=masker.hidden > 0,
    )


def _parent_entry(
    event: Dict[str, Any],
    at: dt.datetime,
    offered: Sequence[Tuple[str, str]],
    sms: bool,
    masker: Masker,
) -> Entry:
    parse = event.get("parse_data") or {}
    text = str(event.get("text") or "")
    entry = Entry(who="parent", at=at, text=masker.text(text))
    payloads = [payload for _, payload in offered]
    if text.startswith("/") and text in payloads:
        index = payloads.index(text)
        title = masker.text(offered[index][0])
        if sms and index < SMS_CHOICES:
            entry.text, entry.chose = str(index + 1), title
        else:
            entry.text, entry.chose = title, title
    flags = [
        str(e.get("value"))
        for e in parse.get("entities") or []
        if e.get("entity") == RED_FLAG_ENTITY and e.get("value")
    ]
    if flags:
        entry.red_flag = "emergency" if "emergency" in flags else flags[0]
    intent = (parse.get("intent") or {}).get("name")
    entry.note = NOT_UNDERSTOOD.get(intent or "", "")
    return entry


def _related(
    engine: sa.engine.Engine, conversation_id: str, masker: Masker
) -> Tuple[List[Dict[str, Any]], List[Dict[str, Any]]]:
    alerts, callbacks = db.alerts, db.callbacks
    with engine.connect() as connection:
        alert_rows = connection.execute(
            sa.select(alerts.c.id, alerts.c.kind, alerts.c.severity, alerts.c.created_at)
            .add_columns(alerts.c.handled_at, alerts.c.deduped_by)
            .where(alerts.c.conversation_id == conversation_id)
            .order_by(alerts.c.created_at, alerts.c.id)
        ).all()
        callback_rows = connection.execute(
            sa.select(callbacks.c.id, callbacks.c.phone, callbacks.c.status, callbacks.c.created_at)
            .where(callbacks.c.conversation_id == conversation_id)
            .order_by(callbacks.c.created_at, callbacks.c.id)
        ).all()
    return (
        [
            {
                "id": int(r.id),
                "title": "Callback request"
                if r.kind == CALLBACK
                else f"{r.severity.capitalize()} red flag",
                "at": utc(r.created_at),
                "handled": r.handled_at is not None,
                "deduped_by": r.deduped_by,
            }
            for r in alert_rows
        ],
        [
            {
                "id": int(r.id),
                "phone": masker.phone(r.phone),
                "status": r.status,
                "at": utc(r.created_at),
            }
            for r in callback_rows
        ],
    )


# --- the review's figures ----------------------------------------------------------------------
def review_figures(
    start: dt.date, end: dt.date, titles: Mapping[str, str], files: Mapping[str, str]
) -> Dict[str, Any]:
    """The figures `make review` reports for the period (counts only: no parent's words)."""
    from addons.staff.review import group
    from addons.staff.review.heard import duration, figures
    from addons.staff.review.load import load

    data = load(start, end)
    red = group.red_flag_conversations(data)
    asked = group.asked_topics(data, files)  # answers of topics.yml, as the report counts
    result: Dict[str, Any] = {
        "cards": [
            ("Conversations", len({m.conversation for m in data.messages})),
            ("Parent messages", len(data.messages)),
            ("Red-flag conversations", len(red)),
            ("Messages not answered", len(group.unanswered(data))),
            ("Channels", len({m.channel for m in data.messages})),
        ],
        "topics": [(titles.get(t, t), n) for t, n in asked.most_common(10)],
        "heard": None,
        "heard_error": data.heard_error,
    }
    if data.heard is not None:
        numbers = figures(data.heard)

        def first_action(action: Mapping[str, Any]) -> str:
            if not action["recorded"]:
                return "not yet recorded"
            median = action["median_seconds"]
            wait = duration(dt.timedelta(seconds=median)) if median is not None else "-"
            return (
                f"median {wait} ({action['handled']} handled, "
                f"{action['not_handled']} not yet handled)"
            )

        flags = numbers["red_flags"]
        result["heard"] = {
            "red_flags": [
                ("Red flags", flags["total"]),
                ("Emergency", flags["by_severity"].get("emergency", 0)),
                ("Urgent", flags["by_severity"].get("urgent", 0)),
                ("Alerted (the first in 30 minutes)", flags["alerted"]),
                (
                    "Within 30 minutes of an earlier alert (not sent again)",
                    flags["within_30_minutes"],
                ),
                ("Time to the first staff action", first_action(flags["first_staff_action"])),
            ],
            "deliveries": [
                (
                    "red-flag alerts" if kind == RED_FLAG else "callback alerts",
                    counts["sent"],
                    counts["failed"],
                    counts["pending"],
                )
                for kind, counts in numbers["deliveries"].items()
            ],
            "failures": numbers["delivery_failures"],
            "callbacks": [
                ("Callback requests", numbers["callbacks"]["total"]),
                *(
                    (status.capitalize(), count)
                    for status, count in numbers["callbacks"]["by_status"].items()
                ),
                (
                    "Time to the first staff action",
                    first_action(numbers["callbacks"]["first_staff_action"]),
                ),
            ],
            "checkins": [
                ("Check-ins", numbers["checkins"]["total"]),
                *(
                    (status.capitalize(), count)
                    for status, count in numbers["checkins"]["by_status"].items()
                ),
            ],
        }
    return result


def review_report(start: dt.date, end: dt.date) -> str:
    """The whole `make review` HTML report of the period (senders masked)."""
    from addons.server.database import database_url, safe_url
    from addons.staff.review.load import load
    from addons.staff.review.render import render

    return render(load(start, end), False, source=safe_url(database_url()[0]))
