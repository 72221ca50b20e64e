"""The sign-in throttle: failed attempts per account and per address, in the database.

Kept in the tracker database (`staff_signin_attempts`), so every Rasa server of
the practice counts the same attempts. After 5 failed attempts for one e-mail
within 15 minutes, or 20 from one address, sign-in is refused until enough of
those failures are 15 minutes old; `check` returns that time, which the page
shows. A successful sign-in clears its e-mail's count (not its address's: one
good account must not buy an address more guesses at others). Refused attempts
are not recorded (and not checked against the password), so waiting always ends
a lock-out. The e-mail is stored as its SHA-256, never as typed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import List, Optional

import sqlalchemy as sa

from addons.staff.console.tables import ensure, staff_signin_attempts, token_hash
from addons.staff.console.tables import now as _now
from addons.staff.console.tables import utc as _utc

MAX_FAILURES_PER_EMAIL = 5
MAX_FAILURES_PER_ADDRESS = 20
WINDOW = timedelta(minutes=15)
KEEP = timedelta(days=1)  # older attempts are deleted as new ones come in

_t = staff_signin_attempts


def _email_key(email: str) -> str:
    return token_hash((email or "").strip().lower())


def _address(address: Optional[str]) -> str:
    return (address or "")[:64]


def _retry_at(failures: List[datetime], limit: int) -> Optional[datetime]:
    """When fewer than `limit` of these failures (oldest first) are in the window."""
    if len(failures) < limit:
        return None
    return failures[len(failures) - limit] + WINDOW


def check(
    engine: sa.engine.Engine, email: str, address: str, now: Optional[datetime] = None
) -> Optional[datetime]:
    """None when this e-mail may try to sign in from this address now; else the time
    (aware UTC) from which it may try again."""
    ensure(engine)
    at = _now(now)
    since = at - WINDOW
    key, address = _email_key(email), _address(address)
    with engine.connect() as connection:
        last_ok = connection.execute(
            sa.select(sa.func.max(_t.c.at)).where(_t.c.email == key, _t.c.ok.is_(True))
        ).scalar()
        start = since if last_ok is None else max(since, _utc(last_ok))
        by_email = [
            _utc(row.at)
            for row in connection.execute(
                sa.select(_t.c.at)
                .where(_t.c.email == key, _t.c.ok.is_(False), _t.c.at > start, _t.c.at <= at)
                .order_by(_t.c.at)
            )
        ]
        by_address: List[datetime] = []
        if address:
            by_address = [
                _utc(row.at)
                for row in connection.execute(
                    sa.select(_t.c.at)
                    .where(
                        _t.c.address == address, _t.c.ok.is_(False), _t.c.at > since, _t.c.at <= at
                    )
                    .order_by(_t.c.at)
                )
            ]
    times = [
        t
        for t in (
            _retry_at(by_email, MAX_FAILURES_PER_EMAIL),
            _retry_at(by_address, MAX_FAILURES_PER_ADDRESS),
        )
        if t is not None
    ]
    return max(times) if times else None


def record(
    engine: sa.engine.Engine,
    email: str,
    address: str,
    ok: bool,
    now: Optional[datetime] = None,
) -> None:
    """Records a sign-in attempt that was checked against a password."""
    ensure(engine)
    at = _now(now)
    with engine.begin() as connection:
        connection.execute(
            _t.insert().values(email=_email_key(email), address=_address(address), at=at, ok=ok)
        )
        connection.execute(_t.delete().where(_t.c.at < at - KEEP))
