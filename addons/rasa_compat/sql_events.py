"""Patches 2 and 3 of `addons.rasa_compat`: Rasa 3.6's `events` table, copied.

`events_table()` is the schema of `rasa.core.tracker_store.SQLTrackerStore.SQLEvent`
for the staff commands that read or delete conversations without loading Rasa's
store; `event_row()` is one row exactly as `SQLTrackerStore.save` writes it, for the
tracker store's fast path. A test compares both with what Rasa itself writes.
"""

from __future__ import annotations

import json
from typing import Any, Optional

import sqlalchemy as sa


def events_table(metadata: Optional[sa.MetaData] = None) -> sa.Table:
    """Rasa's `events` table (in `POSTGRESQL_SCHEMA` when that is set)."""
    if metadata is None:
        from common.settings import current

        metadata = sa.MetaData(schema=current().postgresql_schema or None)
    return sa.Table(
        "events",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sender_id", sa.String(255), nullable=False, index=True),
        sa.Column("type_name", sa.String(255), nullable=False),
        sa.Column("timestamp", sa.Float),
        sa.Column("intent_name", sa.String(255)),
        sa.Column("action_name", sa.String(255)),
        sa.Column("data", sa.Text),
    )


def event_row(row_class: Any, sender_id: str, event: Any) -> Any:
    """One `events` row, exactly as Rasa's `SQLTrackerStore.save` writes it."""
    data = event.as_dict()
    return row_class(
        sender_id=sender_id,
        type_name=event.type_name,
        timestamp=data.get("timestamp"),
        intent_name=(data.get("parse_data", {}).get("intent", {}).get("name")),
        action_name=data.get("name"),
        data=json.dumps(data),
    )
