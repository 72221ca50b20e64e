"""Seeds a real tracker store with conversations at chosen times.

Conversations are built from Rasa's own events, shaped as the running assistant
writes them (session start with carried-over slots, the parent's message with
its parse data and channel, the action, the answer, `last_topic`), and saved
with Rasa's `SQLTrackerStore`, on SQLite or PostgreSQL.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence

from common.paths import PROJECT_ROOT

ROOT = PROJECT_ROOT
DAY = 86400.0


@dataclass
class Turn:
    text: str
    intent: str
    topic: Optional[str] = None  # the answer's last_topic
    red_flag: Optional[str] = None  # emergency | urgent
    nearest: Optional[str] = None  # classifier's runner-up for fallbacks
    action: str = "action_answer"


@dataclass
class Session:
    start: float
    turns: Sequence[Turn]
    channel: str = "rest"
    carried: Dict[str, str] = field(default_factory=dict)


def _domain():
    from rasa.shared.core.domain import Domain

    return Domain.load(str(ROOT / "domain.yml"))


def session_events(session: Session) -> List:
    from rasa.shared.core.events import (
        ActionExecuted,
        BotUttered,
        SessionStarted,
        SlotSet,
        UserUttered,
    )

    t = session.start
    events: List = [
        ActionExecuted("action_session_start", timestamp=t),
        SessionStarted(timestamp=t),
    ]
    events += [SlotSet(k, v, timestamp=t) for k, v in session.carried.items()]
    events.append(ActionExecuted("action_listen", timestamp=t))
    for turn in session.turns:
        t += 30
        ranking = [{"name": turn.intent, "confidence": 0.9}]
        if turn.nearest:
            ranking.append({"name": turn.nearest, "confidence": 0.2})
        entities = (
            [{"entity": "red_flag", "value": turn.red_flag, "start": 0, "end": 0}]
            if turn.red_flag
            else []
        )
        parse = {
            "text": turn.text,
            "intent": {"name": turn.intent, "confidence": 0.9},
            "entities": entities,
            "intent_ranking": ranking,
        }
        events.append(
            UserUttered(
                turn.text,
                intent=parse["intent"],
                entities=entities,
                parse_data=parse,
                input_channel=session.channel,
                timestamp=t,
            )
        )
        events.append(ActionExecuted(turn.action, timestamp=t + 1))
        events.append(BotUttered(f"answer to {turn.intent}", timestamp=t + 1))
        if turn.topic:
            events.append(SlotSet("last_topic", turn.topic, timestamp=t + 1))
        events.append(ActionExecuted("action_listen", timestamp=t + 1))
    return events


def seed(url: str, conversations: Dict[str, Sequence[Session]]) -> None:
    """Saves each sender's sessions (in order) to the store at `url`."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = _domain()
    store = SQLTrackerStore(domain, host=url)
    try:
        for sender, sessions in conversations.items():
            events = [e for s in sessions for e in session_events(s)]
            tracker = DialogueStateTracker.from_events(sender, events, domain.slots)
            asyncio.run(store.save(tracker))
    finally:
        store.engine.dispose()


def stored_events(url: str) -> Dict[str, List[dict]]:
    """sender -> [{type, action, timestamp, data}] in storage order."""
    import json

    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text(
                    "SELECT sender_id, type_name, action_name, timestamp, data FROM events ORDER BY id"  # noqa: E501
                )
            ).all()
    finally:
        engine.dispose()
    result: Dict[str, List[dict]] = {}
    for sender, type_name, action, timestamp, data in rows:
        result.setdefault(sender, []).append(
            {"type": type_name, "action": action, "timestamp": timestamp, "data": json.loads(data)}
        )
    return result


def run_staff_command(module: str, env: Dict[str, str], *args: str, timeout: float = 300) -> Any:
    """`python -m <module> <args>` on the store `env` names (DATABASE_URL,
    TRACKER_SQLITE_PATH, SMS_STATE_FILE), never the developer's own."""
    import os
    import subprocess
    import sys

    mine = ("DATABASE_URL", "TRACKER_SQLITE_PATH", "SMS_STATE_FILE")
    full_env = {k: v for k, v in os.environ.items() if k not in mine}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
