"""The staff console's audit log: who signed in or failed to, who was locked out, who
revealed a phone number and who changed what, when and from which address.

One row per event in `staff_audit` (the tracker database, shared by every server);
admins read it at /staff/audit. `user_email` is who did it (a staff account, or
`cli:<login>` for the command line; empty for a failed sign-in to an unknown
account); `target` what it was done to (an alert id, a conversation id, an
account's e-mail); `detail` a short note. Never a password, a token or a whole
phone number: callers pass masked values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import List, Optional

import sqlalchemy as sa

from addons.staff.console.tables import ensure, staff_audit
from addons.staff.console.tables import now as _now
from addons.staff.console.tables import utc as _utc

ACTIONS = (
    "sign_in",
    "sign_in_failed",
    "sign_out",
    "lockout",
    "alert_handled",
    "callback_handled",
    "checkin_scheduled",
    "checkin_cancelled",
    "phone_revealed",
    "user_invited",
    "user_created",
    "user_disabled",
    "user_enabled",
    "password_set",
    "invitation_accepted",
    "report_downloaded",
)
_ACTION = re.compile(r"^[a-z][a-z_]{0,39}$")


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    user_email: str
    action: str
    target: str
    detail: str
    address: str


def record(
    engine: sa.engine.Engine,
    user_email: str,
    action: str,
    target: str = "",
    detail: str = "",
    address: str = "",
    now: Optional[datetime] = None,
) -> None:
    """Adds one row. `action` is one of ACTIONS (any lowercase word_with_underscores
    is accepted, so a new action needs no change here); ValueError otherwise."""
    if not _ACTION.match(action or ""):
        raise ValueError(f"not an audit action: {action!r}")
    ensure(engine)
    with engine.begin() as connection:
        connection.execute(
            staff_audit.insert().values(
                at=_now(now),
                user_email=(user_email or "")[:255],
                action=action,
                target=str(target or "")[:255],
                detail=str(detail or "")[:1000],
                address=(address or "")[:64],
            )
        )


def recent(
    engine: sa.engine.Engine, limit: int = 200, action: Optional[str] = None
) -> List[AuditEntry]:
    """The latest rows, newest first (only those of `action` when given)."""
    ensure(engine)
    query = sa.select(staff_audit).order_by(staff_audit.c.at.desc(), staff_audit.c.id.desc())
    if action:
        query = query.where(staff_audit.c.action == action)
    with engine.connect() as connection:
        rows = connection.execute(query.limit(max(1, int(limit))))
        return [
            AuditEntry(
                id=int(row.id),
                at=_utc(row.at),
                user_email=row.user_email,
                action=row.action,
                target=row.target,
                detail=row.detail,
                address=row.address,
            )
            for row in rows
        ]
