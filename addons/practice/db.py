"""The practice loop's tables, on the tracker database, and one engine per process.

The tables live beside Rasa's `events` table (SQLite by default, PostgreSQL when
`DATABASE_URL` is set), so every Rasa server of a practice shares them and a
backup of the conversations is a backup of these too. They are created when a
server or a staff command first needs them (`create_tables`, idempotent).

Times are stored as timezone-aware UTC date-times (`addons.practice.clock.now`).
"""

from __future__ import annotations

import functools
import threading
from datetime import datetime, timezone
from typing import Any, Optional, overload

import sqlalchemy as sa

metadata = sa.MetaData()
When = sa.DateTime(timezone=True)

# One row per alert the practice must hear: a red flag or a callback request.
alerts = sa.Table(
    "practice_alerts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(20), nullable=False),  # red_flag | callback
    sa.Column("severity", sa.String(20), nullable=False),  # emergency | urgent | callback
    sa.Column("conversation_id", sa.String(255), nullable=False, index=True),
    sa.Column("channel", sa.String(20), nullable=False),  # web | sms | rest | shell
    sa.Column("words", sa.Text, nullable=False, default=""),  # the parent's own words
    sa.Column("created_at", When, nullable=False, index=True),
    sa.Column("handled_at", When),
    sa.Column("handled_by", sa.String(255)),
    # alerts.py: the parent message that raised it (one alert per message, whichever
    # server saw it) and, for a flag not sent again within 30 minutes, the alert that
    # already went out for the conversation (no deliveries of its own).
    sa.Column("message_key", sa.String(255)),
    sa.Column("deduped_by", sa.Integer),
    sa.UniqueConstraint("conversation_id", "message_key", name="uq_practice_alerts_message"),
)

# One row per contact an alert goes to, with its delivery status.
deliveries = sa.Table(
    "practice_alert_deliveries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("alert_id", sa.Integer, sa.ForeignKey("practice_alerts.id"), nullable=False),
    sa.Column("medium", sa.String(10), nullable=False),  # sms | email
    sa.Column("target", sa.String(255), nullable=False),  # the contact (never logged whole)
    sa.Column("status", sa.String(20), nullable=False),  # pending | sending | sent | failed
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("next_attempt_at", When, nullable=False, index=True),
    sa.Column("sent_at", When),
    sa.Column("last_error", sa.Text),
    # alerts.py: who claimed it for sending, and when (a delivery left "sending" by a
    # server that died is marked failed, never sent twice).
    sa.Column("claimed_by", sa.String(64)),
    sa.Column("claimed_at", When),
)

# Callback requests: a parent who asked for a person.
callbacks = sa.Table(
    "practice_callbacks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("conversation_id", sa.String(255), nullable=False, index=True),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("phone", sa.String(20), nullable=False),  # E.164
    sa.Column("language", sa.String(5), nullable=False, default="en"),
    sa.Column("words", sa.Text, nullable=False, default=""),
    sa.Column("status", sa.String(20), nullable=False),  # requested | handled | cancelled
    sa.Column("created_at", When, nullable=False, index=True),
    sa.Column("alert_id", sa.Integer, sa.ForeignKey("practice_alerts.id")),
    sa.Column("handled_at", When),
    sa.Column("handled_by", sa.String(255)),
)

# Scheduled check-ins (staff: `make followup`, later the staff console).
checkins = sa.Table(
    "practice_checkins",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("phone", sa.String(20), nullable=False, index=True),  # E.164
    sa.Column("procedure", sa.String(20), nullable=False),
    sa.Column("send_at", When, nullable=False, index=True),  # after quiet hours
    sa.Column("requested_at", When, nullable=False),  # what staff asked for
    sa.Column("status", sa.String(20), nullable=False),
    # scheduled | sending | sent | cancelled | skipped | failed
    sa.Column("created_at", When, nullable=False),
    sa.Column("created_by", sa.String(255), nullable=False, default=""),
    sa.Column("claimed_by", sa.String(64)),
    sa.Column("claimed_at", When),  # 'sending' long after this: its server stopped
    sa.Column("sent_at", When),
    sa.Column("reason", sa.Text),
)

# The SMS channel's state (addons/channels/sms/store.py), shared by every server.
sms_opt_outs = sa.Table(
    "sms_opt_outs",
    metadata,
    sa.Column("phone", sa.String(255), primary_key=True),
    sa.Column("keyword", sa.String(20), nullable=False),
    sa.Column("at", sa.Float, nullable=False),
)
sms_choices = sa.Table(
    "sms_choices",
    metadata,
    sa.Column("phone", sa.String(255), primary_key=True),
    sa.Column("payloads", sa.Text, nullable=False),
    sa.Column("at", sa.Float, nullable=False),
)
sms_seen_messages = sa.Table(
    "sms_seen_messages",
    metadata,
    sa.Column("sid", sa.String(64), primary_key=True),
    sa.Column("at", sa.Float, nullable=False, index=True),
)
sms_languages = sa.Table(
    "sms_languages",
    metadata,
    sa.Column("phone", sa.String(255), primary_key=True),
    sa.Column("language", sa.String(5), nullable=False),
    sa.Column("at", sa.Float, nullable=False),
)


@overload
def as_utc(at: datetime) -> datetime: ...
@overload
def as_utc(at: None) -> None: ...
def as_utc(at: Optional[datetime]) -> Optional[datetime]:
    """A stored time as aware UTC: SQLite gives the stored UTC time back without its
    zone, PostgreSQL with it. Every reader of these tables goes through this."""
    if at is None:
        return None
    return at.replace(tzinfo=timezone.utc) if at.tzinfo is None else at.astimezone(timezone.utc)


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")  # an opt-out or an alert must survive a crash
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


_lock = threading.Lock()
_CREATE_TABLES_KEY = 14_000_014  # PostgreSQL advisory lock: one server creates at a time


@functools.lru_cache(maxsize=8)
def _engine_for(url: str) -> sa.engine.Engine:
    engine = sa.create_engine(url, future=True, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    with _lock:
        if engine.dialect.name == "postgresql":
            # Servers started together would race to CREATE TABLE (duplicate pg_type
            # rows, one of them fails to start); one at a time, the others find them.
            with engine.begin() as connection:
                connection.execute(
                    sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CREATE_TABLES_KEY}
                )
                metadata.create_all(connection, checkfirst=True)
        else:
            metadata.create_all(engine, checkfirst=True)
    return engine


def engine(url: Optional[str] = None) -> sa.engine.Engine:
    """The engine on the tracker database (`DATABASE_URL`, else the SQLite file), its
    tables created if missing; one per URL per process. The first call for the
    tracker database checks that it answers (retrying for DATABASE_WAIT_SECONDS, and
    creating the SQLite file's folder); later calls return the engine at once, so
    the server may call this on its event loop."""
    if url is None:
        from addons.server.database import check_database, database_url

        url, setting = database_url()
        if url not in _checked:
            check_database(url, setting)
            _checked.add(url)
    return _engine_for(url)


_checked: set = set()


def is_postgresql(bind: sa.engine.Engine) -> bool:
    return bind.dialect.name == "postgresql"
