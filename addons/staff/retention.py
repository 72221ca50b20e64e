"""Deletes conversations older than N days from the tracker store.

    python -m addons.staff.retention --days 90 [--dry-run]      (make retention DAYS=90)

Works on the store the server uses (`DATABASE_URL` or the SQLite file, see
`addons.server.database`), on the `events` table of Rasa's SQLTrackerStore.

What "older than N days" means here:
* a conversation (a sender id) with no event in the last N days is deleted
  entirely;
* a conversation that is still going on, such as a parent who texts the same
  number every few months, keeps its recent sessions only: every earlier session
  (Rasa starts a new session after two hours of silence) is deleted, from its
  `action_session_start` up to the start of the first session that has an event
  in the last N days. The slots carried into that session stay, so the assistant
  still knows which treatment the parent asked about.

The practice loop's records of the same age go too (`addons/practice/db.py`):
alerts (they hold the parent's words) with their deliveries, callback requests
(a phone number), check-ins already sent, skipped, failed or cancelled, and the
SMS channel's numbered choices and language of numbers not heard from since.
Opt-outs are kept: a parent who texted STOP gets nothing until START, however old.

On SQLite the file is vacuumed afterwards so the deleted text does not linger
in free pages. Nothing else keeps conversation text: the rate limit keeps
hashes for a minute and the logs mask sender ids and phone numbers.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from typing import Any, List, Optional, Sequence

DEFAULT_DAYS = 90
SESSION_START = "action_session_start"


@dataclass
class RetentionResult:
    cutoff: float
    conversations_deleted: int = 0
    conversations_trimmed: int = 0
    sessions_trimmed: int = 0
    events_deleted: int = 0
    practice_records_deleted: int = 0  # alerts, deliveries, callbacks, check-ins, SMS state

    def summary(self, dry_run: bool = False) -> str:
        day = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.cutoff))
        verb = "Would delete" if dry_run else "Deleted"
        return (
            f"{verb} {self.conversations_deleted} conversation(s) with no activity since {day} "
            f"and {self.sessions_trimmed} older session(s) of {self.conversations_trimmed} "
            f"ongoing conversation(s): {self.events_deleted} event(s); "
            f"{self.practice_records_deleted} alert, callback, check-in and SMS record(s)."
        )


def _chunks(items: Sequence[str], size: int = 500) -> List[Sequence[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def apply_retention(
    days: float = DEFAULT_DAYS,
    url: Optional[str] = None,
    now: Optional[float] = None,
    dry_run: bool = False,
) -> RetentionResult:
    """Deletes what is older than `days`; returns what was (or would be) deleted."""
    import sqlalchemy as sa

    from addons.server import database

    if days < 0:
        raise ValueError("days must be 0 or more")
    cutoff = (time.time() if now is None else now) - days * 86400
    result = RetentionResult(cutoff=cutoff)
    engine = database.engine(url)
    events = database.events_table()
    try:
        if sa.inspect(engine).has_table("events", schema=events.schema):
            _conversations(engine, events, cutoff, dry_run, result)
        result.practice_records_deleted = _practice_records(engine, cutoff, dry_run)
        deleted = result.events_deleted + result.practice_records_deleted
        if not dry_run and deleted and engine.dialect.name == "sqlite":
            with engine.connect() as connection:
                connection.exec_driver_sql("VACUUM")
    finally:
        engine.dispose()
    return result


def _conversations(
    engine: Any, events: Any, cutoff: float, dry_run: bool, result: RetentionResult
) -> None:
    """Deletes the events older than `cutoff` (see the module's docstring)."""
    import sqlalchemy as sa

    with engine.begin() as connection:
        per_sender = sa.select(
            events.c.sender_id,
            sa.func.min(events.c.timestamp).label("first"),
            sa.func.max(events.c.timestamp).label("last"),
        ).group_by(events.c.sender_id)
        # Only rows that exist now: a message arriving meanwhile is not touched.
        max_id = connection.execute(sa.select(sa.func.max(events.c.id))).scalar() or 0
        rows = connection.execute(per_sender.where(events.c.id <= max_id)).all()
        old = [r.sender_id for r in rows if r.last is not None and r.last < cutoff]
        mixed = [
            r.sender_id for r in rows if r.first is not None and r.first < cutoff <= (r.last or 0)
        ]

        for chunk in _chunks(old):
            where = sa.and_(events.c.sender_id.in_(chunk), events.c.id <= max_id)
            count = connection.execute(
                sa.select(sa.func.count()).select_from(events).where(where)
            ).scalar_one()
            result.events_deleted += count
            if not dry_run:
                connection.execute(events.delete().where(where))
        result.conversations_deleted = len(old)

        for sender in mixed:
            first_recent = connection.execute(
                sa.select(sa.func.min(events.c.id)).where(
                    events.c.sender_id == sender, events.c.timestamp >= cutoff
                )
            ).scalar()
            boundary = connection.execute(
                sa.select(sa.func.max(events.c.id)).where(
                    events.c.sender_id == sender,
                    events.c.id <= first_recent,
                    events.c.type_name == "action",
                    events.c.action_name == SESSION_START,
                )
            ).scalar()
            if boundary is None:  # one long session reaching into the window: keep it
                continue
            older = sa.and_(events.c.sender_id == sender, events.c.id < boundary)
            count, sessions = connection.execute(
                sa.select(
                    sa.func.count(),
                    sa.func.count(sa.case((events.c.action_name == SESSION_START, 1))),
                )
                .select_from(events)
                .where(older)
            ).one()
            if count:
                result.conversations_trimmed += 1
                result.sessions_trimmed += max(1, sessions)
                result.events_deleted += count
                if not dry_run:
                    connection.execute(events.delete().where(older))


def _practice_records(engine: Any, cutoff: float, dry_run: bool) -> int:
    """Deletes the practice loop's records older than `cutoff`; returns how many."""
    import datetime as dt

    import sqlalchemy as sa

    from addons.practice import db

    when = dt.datetime.fromtimestamp(cutoff, dt.timezone.utc)
    present = set(sa.inspect(engine).get_table_names())
    old_alerts = sa.select(db.alerts.c.id).where(db.alerts.c.created_at < when)
    # Children before parents (foreign keys); a check-in still to be sent stays.
    targets = [
        (db.callbacks, db.callbacks.c.created_at < when),
        (db.deliveries, db.deliveries.c.alert_id.in_(old_alerts)),
        (
            db.alerts,
            sa.and_(
                db.alerts.c.created_at < when,
                ~db.alerts.c.id.in_(
                    sa.select(db.callbacks.c.alert_id).where(db.callbacks.c.alert_id.is_not(None))
                ),
            ),
        ),
        (db.checkins, sa.and_(db.checkins.c.send_at < when, db.checkins.c.status != "scheduled")),
        (db.sms_choices, db.sms_choices.c.at < cutoff),
        (db.sms_languages, db.sms_languages.c.at < cutoff),
    ]
    total = 0
    with engine.begin() as connection:
        for table, where in targets:
            if table.name not in present:
                continue
            count = connection.execute(
                sa.select(sa.func.count()).select_from(table).where(where)
            ).scalar_one()
            total += count
            if count and not dry_run:
                connection.execute(table.delete().where(where))
    return total


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m addons.staff.retention",
        description="Delete conversations older than N days from the tracker store "
        "(DATABASE_URL, or the SQLite file TRACKER_SQLITE_PATH / var/tracker.db).",
    )
    parser.add_argument(
        "--days",
        type=float,
        default=DEFAULT_DAYS,
        help=f"keep the last N days (default {DEFAULT_DAYS})",
    )
    parser.add_argument("--dry-run", action="store_true", help="count only, delete nothing")
    args = parser.parse_args(argv)
    from addons.server.database import StoreUnavailable

    if args.days < 0:
        parser.error("--days must be 0 or more")
    try:
        result = apply_retention(args.days, dry_run=args.dry_run)
    except StoreUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return 3
    print(result.summary(dry_run=args.dry_run))
    return 0


if __name__ == "__main__":
    sys.exit(main())
