"""What the practice heard: red-flag alerts, callback requests and check-ins of a period.

Reads the practice loop's tables (`addons/practice/db.py`: `practice_alerts`,
`practice_alert_deliveries`, `practice_callbacks`, `practice_checkins`) on the
tracker database the rest of the report reads; `addons.practice.db.engine` creates
them when missing, so an older database gives an empty section, not an error.

This section says how the practice responded, not who wrote or what: the parents'
words (`words` columns) are never selected, and contacts and parents are kept only
masked (`+***-**67`, `j***@example.com`), whatever `--show-senders` says.

An alert or a callback request belongs to the period it was made in; a check-in to
the period it was (or is) to be sent in (`send_at`). The tables hold UTC; the
period's days are the server's local days, as in the rest of the report.
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

from addons.practice.db import as_utc
from addons.practice.mail import mask_address
from common.names import EMERGENCY, URGENT
from common.phones import mask_phone, mask_phones_in

RED_FLAG, CALLBACK = "red_flag", "callback"
SEVERITIES = (EMERGENCY, URGENT)
# Delivery statuses as the report groups them ("sending" is still on its way).
DELIVERY_GROUPS = {"sent": "sent", "failed": "failed", "pending": "pending", "sending": "pending"}
DELIVERY_COLUMNS = ("sent", "failed", "pending")
CALLBACK_STATUSES = ("requested", "handled", "cancelled")
# Check-in statuses as the report groups them ("sending" is still to be sent).
CHECKIN_GROUPS = {
    "scheduled": "scheduled",
    "sending": "scheduled",
    "sent": "sent",
    "skipped": "skipped",
    "failed": "failed",
    "cancelled": "cancelled",
}
CHECKIN_COLUMNS = ("scheduled", "sent", "skipped", "failed", "cancelled")
MAX_ERROR = 200  # characters of an error's first line
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


@dataclass(frozen=True)
class AlertRow:
    """One `practice_alerts` row, without the parent's words."""

    id: int
    kind: str  # red_flag | callback
    severity: str  # emergency | urgent | callback
    channel: str  # as staff read it: web, SMS, REST (`alerts.channel_label`)
    conversation_id: str  # masked when shown (render)
    created_at: dt.datetime
    handled_at: Optional[dt.datetime]
    deduped_by: Optional[int]  # a flag within 30 minutes of an alert already sent


@dataclass(frozen=True)
class DeliveryRow:
    """One `practice_alert_deliveries` row, its contact already masked."""

    alert_id: int
    kind: str
    severity: str
    conversation_id: str
    medium: str  # sms | email
    contact: str  # masked
    status: str
    attempts: int
    last_attempt: dt.datetime  # when it was last claimed for sending (else the alert's time)
    error: str  # first line, contacts masked


@dataclass(frozen=True)
class CallbackRow:
    """One `practice_callbacks` row, without its phone number or words."""

    id: int
    status: str
    created_at: dt.datetime
    handled_at: Optional[dt.datetime]
    alert_id: Optional[int]


@dataclass(frozen=True)
class CheckinRow:
    """One `practice_checkins` row, without its phone number."""

    status: str
    reason: str  # first line, masked; "" when none


@dataclass
class Heard:
    """The practice loop's rows of a period."""

    start: dt.date
    end: dt.date
    alerts: List[AlertRow] = field(default_factory=list)
    deliveries: List[DeliveryRow] = field(default_factory=list)
    callbacks: List[CallbackRow] = field(default_factory=list)
    checkins: List[CheckinRow] = field(default_factory=list)


@dataclass(frozen=True)
class FirstAction:
    """Time from an alert (or request) to the first staff action, where recorded."""

    handled: int
    not_handled: int
    median: Optional[dt.timedelta]

    @property
    def recorded(self) -> bool:
        """Whether any staff action is recorded (the staff console sets `handled_at`)."""
        return self.handled > 0


# --- reading -----------------------------------------------------------------------------
_utc = as_utc


def bounds(start: dt.date, end: dt.date) -> Tuple[dt.datetime, dt.datetime]:
    """The period's first and last instants (server local days), in UTC."""
    first = dt.datetime.combine(start, dt.time.min).astimezone(dt.timezone.utc)
    last = dt.datetime.combine(end, dt.time.max).astimezone(dt.timezone.utc)
    return first, last


def first_line(text: Optional[str]) -> str:
    """An error or reason on one line, phone numbers and e-mail addresses masked."""
    lines = (text or "").strip().splitlines()
    line = _EMAIL.sub(lambda m: mask_address(m.group(0)), lines[0].strip() if lines else "")
    line = mask_phones_in(line)
    return line if len(line) <= MAX_ERROR else line[: MAX_ERROR - 3].rstrip() + "..."


def masked_contact(medium: str, target: str) -> str:
    """An on-call contact as staff may read it: ``+***-**67`` or ``j***@example.com``."""
    if medium == "email" or "@" in (target or ""):
        return mask_address(target)
    return mask_phone(target)


def load_heard(start: dt.date, end: dt.date, url: Optional[str] = None) -> Heard:
    """The alerts, deliveries, callback requests and check-ins of the period.

    Raises `addons.server.database.StoreUnavailable` when the database cannot be read."""
    import sqlalchemy as sa

    from addons.practice import db
    from addons.practice.alerts import channel_label
    from addons.server.database import StoreUnavailable, database_url, safe_url

    heard = Heard(start=start, end=end)
    first, last = bounds(start, end)
    alerts, deliveries, callbacks, checkins = db.alerts, db.deliveries, db.callbacks, db.checkins
    try:
        engine = db.engine(url)
        with engine.connect() as connection:
            for row in connection.execute(
                sa.select(
                    alerts.c.id,
                    alerts.c.kind,
                    alerts.c.severity,
                    alerts.c.channel,
                    alerts.c.conversation_id,
                    alerts.c.created_at,
                    alerts.c.handled_at,
                    alerts.c.deduped_by,
                )
                .where(alerts.c.created_at >= first, alerts.c.created_at <= last)
                .order_by(alerts.c.created_at, alerts.c.id)
            ):
                heard.alerts.append(
                    AlertRow(
                        id=row.id,
                        kind=row.kind,
                        severity=row.severity,
                        channel=channel_label(row.channel, row.conversation_id),
                        conversation_id=row.conversation_id,
                        created_at=_utc(row.created_at) or first,
                        handled_at=_utc(row.handled_at),
                        deduped_by=row.deduped_by,
                    )
                )
            in_period = sa.select(alerts.c.id).where(
                alerts.c.created_at >= first, alerts.c.created_at <= last
            )
            of_requests = sa.select(callbacks.c.alert_id).where(
                callbacks.c.created_at >= first,
                callbacks.c.created_at <= last,
                callbacks.c.alert_id.is_not(None),
            )
            for row in connection.execute(
                sa.select(
                    deliveries.c.alert_id,
                    deliveries.c.medium,
                    deliveries.c.target,
                    deliveries.c.status,
                    deliveries.c.attempts,
                    deliveries.c.claimed_at,
                    deliveries.c.last_error,
                    alerts.c.kind,
                    alerts.c.severity,
                    alerts.c.conversation_id,
                    alerts.c.created_at,
                )
                .join(alerts, alerts.c.id == deliveries.c.alert_id)
                .where(
                    sa.or_(
                        deliveries.c.alert_id.in_(in_period),
                        deliveries.c.alert_id.in_(of_requests),
                    )
                )
                .order_by(deliveries.c.id)
            ):
                heard.deliveries.append(
                    DeliveryRow(
                        alert_id=row.alert_id,
                        kind=row.kind,
                        severity=row.severity,
                        conversation_id=row.conversation_id,
                        medium=row.medium,
                        contact=masked_contact(row.medium, row.target),
                        status=row.status,
                        attempts=row.attempts or 0,
                        last_attempt=_utc(row.claimed_at) or _utc(row.created_at) or first,
                        error=first_line(row.last_error),
                    )
                )
            for row in connection.execute(
                sa.select(
                    callbacks.c.id,
                    callbacks.c.status,
                    callbacks.c.created_at,
                    callbacks.c.handled_at,
                    callbacks.c.alert_id,
                )
                .where(callbacks.c.created_at >= first, callbacks.c.created_at <= last)
                .order_by(callbacks.c.created_at, callbacks.c.id)
            ):
                heard.callbacks.append(
                    CallbackRow(
                        id=row.id,
                        status=row.status,
                        created_at=_utc(row.created_at) or first,
                        handled_at=_utc(row.handled_at),
                        alert_id=row.alert_id,
                    )
                )
            for row in connection.execute(
                sa.select(checkins.c.status, checkins.c.reason)
                .where(checkins.c.send_at >= first, checkins.c.send_at <= last)
                .order_by(checkins.c.send_at, checkins.c.id)
            ):
                heard.checkins.append(CheckinRow(status=row.status, reason=first_line(row.reason)))
    except sa.exc.SQLAlchemyError as error:
        shown = safe_url(url or database_url()[0])
        raise StoreUnavailable(
            f"cannot read the practice loop's tables ({shown}): {first_line(str(error))}"
        ) from None
    return heard


# --- figures -----------------------------------------------------------------------------
def first_action(rows: Sequence[Tuple[dt.datetime, Optional[dt.datetime]]]) -> FirstAction:
    """(created, handled) pairs -> how many were handled and the median time to it."""
    waits = [handled - created for created, handled in rows if handled is not None]
    median = (
        dt.timedelta(seconds=statistics.median(w.total_seconds() for w in waits)) if waits else None
    )
    return FirstAction(handled=len(waits), not_handled=len(rows) - len(waits), median=median)


def red_flags(heard: Heard) -> List[AlertRow]:
    return [a for a in heard.alerts if a.kind == RED_FLAG]


def red_flag_counts(heard: Heard) -> Dict[str, Counter[str]]:
    """channel -> severity -> red flags recorded (every flag, alerted or not)."""
    result: Dict[str, Counter[str]] = {}
    for alert in red_flags(heard):
        result.setdefault(alert.channel, Counter())[alert.severity] += 1
    return result


def alerted(heard: Heard) -> List[AlertRow]:
    """The red-flag alerts that went out (not within 30 minutes of an earlier one)."""
    return [a for a in red_flags(heard) if a.deduped_by is None]


def alert_first_action(heard: Heard) -> FirstAction:
    return first_action([(a.created_at, a.handled_at) for a in alerted(heard)])


def delivery_counts(heard: Heard) -> Dict[str, Counter[str]]:
    """alert kind -> sent / failed / pending deliveries."""
    result: Dict[str, Counter[str]] = {RED_FLAG: Counter(), CALLBACK: Counter()}
    for delivery in heard.deliveries:
        group = DELIVERY_GROUPS.get(delivery.status, delivery.status)
        result.setdefault(delivery.kind, Counter())[group] += 1
    return result


def failures(heard: Heard) -> List[DeliveryRow]:
    """The deliveries that failed for good, by time of their last attempt."""
    return sorted(
        (d for d in heard.deliveries if d.status == "failed"), key=lambda d: d.last_attempt
    )


def callback_counts(heard: Heard) -> Counter[str]:
    """status -> callback requests."""
    return Counter(c.status for c in heard.callbacks)


def callbacks_alerted(heard: Heard) -> Tuple[int, int]:
    """(requests with an alert, requests whose alert reached at least one contact)."""
    reached = {d.alert_id for d in heard.deliveries if d.status == "sent"}
    with_alert = [c for c in heard.callbacks if c.alert_id is not None]
    return len(with_alert), sum(1 for c in with_alert if c.alert_id in reached)


def callback_first_action(heard: Heard) -> FirstAction:
    return first_action([(c.created_at, c.handled_at) for c in heard.callbacks])


def checkin_counts(heard: Heard) -> Counter[str]:
    """scheduled (still to send) / sent / skipped / failed / cancelled check-ins."""
    return Counter(CHECKIN_GROUPS.get(c.status, c.status) for c in heard.checkins)


def checkin_failure_reasons(heard: Heard) -> Counter[str]:
    """reason -> failed check-ins."""
    return Counter(c.reason or "no reason recorded" for c in heard.checkins if c.status == "failed")


def ordered(known: Sequence[str], counts: Counter[str]) -> List[str]:
    """The known statuses in their order, then any other status found (by name)."""
    return [*known, *sorted(set(counts) - set(known))]


def duration(wait: Optional[dt.timedelta]) -> str:
    """``45 s``, ``12 min``, ``3 h 05 min``, ``2 d 4 h``."""
    if wait is None:
        return "-"
    seconds = max(0, round(wait.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def _action(action: FirstAction) -> Dict[str, Any]:
    return {
        "recorded": action.recorded,
        "handled": action.handled,
        "not_handled": action.not_handled,
        "median_seconds": action.median.total_seconds() if action.median is not None else None,
    }


def figures(heard: Heard) -> Dict[str, Any]:
    """Every figure of the section as plain numbers and strings (no parent's words, no
    full contact): for the command's summary and any machine-readable output."""
    flags = red_flags(heard)
    sent_out = alerted(heard)
    deliveries = delivery_counts(heard)
    with_alert, reached = callbacks_alerted(heard)
    callbacks = callback_counts(heard)
    checkins = checkin_counts(heard)
    return {
        "red_flags": {
            "total": len(flags),
            "by_severity": {s: sum(1 for a in flags if a.severity == s) for s in SEVERITIES},
            "by_channel": {c: dict(n) for c, n in sorted(red_flag_counts(heard).items())},
            "alerted": len(sent_out),
            "within_30_minutes": len(flags) - len(sent_out),
            "first_staff_action": _action(alert_first_action(heard)),
        },
        "deliveries": {
            kind: {column: counts[column] for column in DELIVERY_COLUMNS}
            for kind, counts in deliveries.items()
        },
        "delivery_failures": [
            {
                "last_attempt": f.last_attempt.isoformat(timespec="seconds"),
                "alert": f.kind,
                "severity": f.severity,
                "medium": f.medium,
                "contact": f.contact,
                "attempts": f.attempts,
                "error": f.error,
            }
            for f in failures(heard)
        ],
        "callbacks": {
            "total": len(heard.callbacks),
            "by_status": {s: callbacks[s] for s in ordered(CALLBACK_STATUSES, callbacks)},
            "alerted": with_alert,
            "alert_delivered": reached,
            "first_staff_action": _action(callback_first_action(heard)),
        },
        "checkins": {
            "total": len(heard.checkins),
            "by_status": {s: checkins[s] for s in ordered(CHECKIN_COLUMNS, checkins)},
            "failed_reasons": dict(checkin_failure_reasons(heard).most_common()),
        },
    }


def summary(heard: Heard) -> str:
    """One line for the command's output."""
    numbers = figures(heard)
    failed = len(numbers["delivery_failures"])
    return (
        f"The practice heard: {numbers['red_flags']['total']} red flag(s) "
        f"({numbers['red_flags']['alerted']} alerted, {failed} delivery failure(s)), "
        f"{numbers['callbacks']['total']} callback request(s), "
        f"{numbers['checkins']['total']} check-in(s) "
        f"({numbers['checkins']['by_status']['sent']} sent)."
    )
