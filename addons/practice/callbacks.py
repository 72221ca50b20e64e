"""Callback requests: recorded durably, then alerted to the practice in office hours.

A parent's confirmed request (`actions/callbacks.py` sets the `callback_request`
slot; `observe.py` reads it) becomes a `practice_callbacks` row with status
`requested`, and an alert of kind `callback` (`alerts.raise_alert`): lower
priority than a red flag, its deliveries wait for office hours and go out batched.
The alert names the number masked (last two digits); staff open the conversation
for the full number.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional

import sqlalchemy as sa

from addons.practice import alerts, clock, db
from common.phones import is_e164, mask_phone

logger = logging.getLogger(__name__)

REQUESTED, HANDLED, CANCELLED = "requested", "handled", "cancelled"
EXPECTED_WORDS = {"today": "today", "next_business_morning": "the next business morning"}


def record(
    conversation_id: str,
    channel: str,
    request: Dict[str, Any],
    *,
    words: str = "",
    engine: Optional[sa.engine.Engine] = None,
) -> Optional[int]:
    """Stores the request and alerts the practice; returns its id (None if refused)."""
    phone = str(request.get("phone") or "")
    if not is_e164(phone):
        logger.error("callback request not recorded: %s is not an E.164 number", mask_phone(phone))
        return None
    bind = engine or db.engine()
    now = clock.now()
    with bind.begin() as connection:
        callback_id = connection.execute(
            db.callbacks.insert().values(
                conversation_id=conversation_id,
                channel=channel,
                phone=phone,
                language=str(request.get("language") or "en")[:5],
                words=words[:2000],
                status=REQUESTED,
                created_at=now,
            )
        ).inserted_primary_key[0]
    expected = EXPECTED_WORDS.get(str(request.get("expected")), "soon")
    # Staff must know to call in Spanish (practice.yml `spanish.staff` says who can).
    spoken = "; the parent writes in Spanish" if request.get("language") == "es" else ""
    alert_id = alerts.raise_alert(
        kind="callback",
        severity="callback",
        conversation_id=conversation_id,
        channel=channel,
        words=f"Please call back {mask_phone(phone)} (told: {expected}){spoken}.",
        message_key=f"callback-{callback_id}",
    )
    if alert_id is not None:
        with bind.begin() as connection:
            table = db.callbacks
            connection.execute(
                table.update().where(table.c.id == callback_id).values(alert_id=alert_id)
            )
    logger.info("callback request %s recorded for %s", callback_id, mask_phone(phone))
    return int(callback_id)


def open_requests(engine: Optional[sa.engine.Engine] = None) -> List[Dict[str, Any]]:
    """Requests not yet handled, oldest first."""
    bind = engine or db.engine()
    with bind.connect() as connection:
        rows = connection.execute(
            sa.select(db.callbacks)
            .where(db.callbacks.c.status == REQUESTED)
            .order_by(db.callbacks.c.created_at)
        )
        return [dict(row._mapping) for row in rows]
