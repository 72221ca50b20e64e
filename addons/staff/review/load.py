"""Reading the tracker store: the parent messages and answered topics of a date range.

Reads the `events` table of Rasa's SQLTrackerStore with plain SQLAlchemy, through
`addons.server.database` (`DATABASE_URL`, or the SQLite file). A conversation is a
Rasa session: a sender's messages until the next `action_session_start`. Dates are
the server's local time; a day range is inclusive.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, DefaultDict, Dict, List, Optional, Set, Tuple

from addons.staff.review.heard import Heard, load_heard
from common.names import (
    FALLBACK_INTENT,
    LAST_TOPIC,
    OUT_OF_SCOPE_INTENT,
    RED_FLAG,
    RED_FLAG_INTENT,
)

# Intents of the messages the assistant could not answer, and how the report names them.
UNANSWERED = {FALLBACK_INTENT: "not understood", OUT_OF_SCOPE_INTENT: "out of scope"}
SESSION_START = "action_session_start"

Conversation = Tuple[str, int]  # (sender id, session number)


@dataclass
class Message:
    """One parent message."""

    sender: str
    conversation: Conversation
    when: dt.datetime
    channel: str
    text: str
    intent: Optional[str]
    nearest: Optional[str]  # best intent other than the fallback, if any
    red_flag: Optional[str]


@dataclass
class Data:
    """What the tracker store holds for a date range."""

    start: dt.date
    end: dt.date
    messages: List[Message] = field(default_factory=list)
    topics: Counter[str] = field(default_factory=Counter)  # topic -> answers
    topic_conversations: DefaultDict[str, Set[Conversation]] = field(
        default_factory=lambda: defaultdict(set)
    )
    heard: Optional[Heard] = None  # the practice loop's alerts, callbacks, check-ins
    heard_error: str = ""  # why `heard` could not be read (the rest of the report stands)


def _ts(day: dt.date, end: bool = False) -> float:
    moment = dt.datetime.combine(day, dt.time.max if end else dt.time.min)
    return moment.timestamp()


def _nearest(parse: Dict[str, Any]) -> Optional[str]:
    for item in parse.get("intent_ranking") or []:
        name = item.get("name")
        if name and name not in UNANSWERED and name != RED_FLAG_INTENT:
            return name
    return None


def _message(sender: str, key: Conversation, timestamp: float, event: Dict[str, Any]) -> Message:
    parse = event.get("parse_data") or {}
    flags = [e.get("value") for e in parse.get("entities") or [] if e.get("entity") == RED_FLAG]
    return Message(
        sender=sender,
        conversation=key,
        when=dt.datetime.fromtimestamp(timestamp),
        channel=event.get("input_channel") or "unknown",
        text=event.get("text") or "",
        intent=(parse.get("intent") or {}).get("name"),
        nearest=_nearest(parse),
        red_flag=flags[0] if flags else None,
    )


def load(start: dt.date, end: dt.date, url: Optional[str] = None) -> Data:
    """The messages and answered topics from `start` to `end` (inclusive), and what
    the practice heard in that time (`heard.load_heard`).

    Raises `addons.server.database.StoreUnavailable` when the store cannot be reached.
    When only the practice loop's tables cannot be read (a read-only database user
    before they were created, say), `heard` stays None and `heard_error` says why:
    what parents asked is still reported."""
    from addons.server.database import StoreUnavailable

    data = Data(start=start, end=end)
    _load_events(data, url)
    try:
        data.heard = load_heard(start, end, url)
    except StoreUnavailable as error:
        data.heard_error = str(error)
    return data


def _load_events(data: Data, url: Optional[str]) -> None:
    """The parent messages and answered topics of `data`'s period, from `events`."""
    import sqlalchemy as sa

    from addons.server import database

    start, end = data.start, data.end
    engine = database.engine(url)
    events = database.events_table()
    try:
        if not sa.inspect(engine).has_table("events", schema=events.schema):
            return
        query = (
            sa.select(
                events.c.sender_id,
                events.c.type_name,
                events.c.timestamp,
                events.c.action_name,
                events.c.data,
            )
            .where(
                events.c.timestamp >= _ts(start),
                events.c.timestamp <= _ts(end, True),
                sa.or_(
                    events.c.type_name.in_(("user", "slot", "session_started")),
                    sa.and_(events.c.type_name == "action", events.c.action_name == SESSION_START),
                ),
            )
            .order_by(events.c.sender_id, events.c.id)
        )
        with engine.connect() as connection:
            sender, session, carried = None, 0, False
            for row in connection.execute(query):
                if row.sender_id != sender:
                    sender, session, carried = row.sender_id, 0, False
                if row.type_name == "action":
                    session += 1
                    continue
                if row.type_name == "session_started":
                    carried = True  # slots re-set at a session start are not answers
                    continue
                try:
                    event = json.loads(row.data or "{}")
                except ValueError:
                    continue
                key = (str(sender), session)
                if row.type_name == "user":
                    carried = False
                    data.messages.append(_message(key[0], key, row.timestamp, event))
                elif row.type_name == "slot" and event.get("name") == LAST_TOPIC and not carried:
                    value = event.get("value")
                    if value:
                        data.topics[value] += 1
                        data.topic_conversations[value].add(key)
    finally:
        engine.dispose()
