"""Renames stored conversations to ids that carry their channel (`sms:`, `web:`, `rest:`).

    make migrate-ids                      # or: python -m addons.staff.migrate_ids
    python -m addons.staff.migrate_ids --dry-run

Before conversation ids carried their channel (`common.conversations`), an SMS
conversation was stored under the bare phone number, a web one under its session
id and a REST one under whatever sender the caller chose. This command renames
each unprefixed conversation in the tracker store (`DATABASE_URL`, or the SQLite
file) by the channel its parent's messages came through:

- the channel of its user messages (`input_channel`); a conversation reached
  through more than one channel (the hole this change closes) goes to the channel
  of its first message and is counted as "mixed";
- a conversation with no user message (a check-in nobody answered yet) is an SMS
  conversation when its id is an E.164 number, else a REST one;
- every event is kept: rows are renamed, none is deleted; an id whose new name is
  already taken is left alone and reported.

It also renames the keys of the SMS state file (`SMS_STATE_FILE`: opt-outs and
numbered choices) to `sms:<phone>`. Run it with the servers stopped (they keep
recent conversations in memory). It is idempotent: a second run finds nothing to
rename. `--dry-run` only counts.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, List, Optional, Sequence, Tuple

from common.conversations import PREFIXES, conversation_id, split
from common.names import CHANNEL_REST, CHANNEL_SMS
from common.phones import is_e164


@dataclass
class Migration:
    renames: List[Tuple[str, str]] = field(default_factory=list)
    per_channel: Counter = field(default_factory=Counter)  # type: ignore[type-arg]
    mixed: int = 0
    taken: List[str] = field(default_factory=list)
    events_renamed: int = 0
    sms_keys_renamed: int = 0

    def summary(self, dry_run: bool) -> str:
        verb = "would be renamed" if dry_run else "renamed"
        channels = ", ".join(f"{n} {c}" for c, n in sorted(self.per_channel.items())) or "none"
        lines = [
            f"{len(self.renames)} conversations {verb} ({channels}); "
            f"{self.events_renamed} events {verb}, none deleted",
        ]
        if self.mixed:
            lines.append(
                f"{self.mixed} conversations had messages from more than one channel: "
                "each went to the channel of its first message"
            )
        if self.taken:
            lines.append(f"{len(self.taken)} left as they were: their new id is already taken")
        if self.sms_keys_renamed:
            lines.append(f"{self.sms_keys_renamed} SMS opt-out or choice rows {verb}")
        return "\n".join(lines)


def _channel_of(own: str, channels: List[str]) -> str:
    known = [c for c in channels if c in PREFIXES]
    if known:
        return known[0]
    return CHANNEL_SMS if is_e164(own) else CHANNEL_REST


def plan(connection: Any, events: Any) -> Migration:
    """What to rename, read from the events table (nothing is written)."""
    import sqlalchemy as sa

    migration = Migration()
    senders = [row[0] for row in connection.execute(sa.select(events.c.sender_id).distinct())]
    existing = set(senders)
    for sender in sorted(senders):
        if split(sender)[0] is not None:
            continue  # already carries its channel
        rows = connection.execute(
            sa.select(events.c.data)
            .where(events.c.sender_id == sender, events.c.type_name == "user")
            .order_by(events.c.id)
        )
        channels: List[str] = []
        for (data,) in rows:
            try:
                name = json.loads(data or "{}").get("input_channel")
            except ValueError:
                name = None
            if name and name not in channels:
                channels.append(str(name))
        channel = _channel_of(sender, channels)
        new = conversation_id(channel, sender)
        if new in existing:
            migration.taken.append(sender)
            continue
        migration.renames.append((sender, new))
        migration.per_channel[channel] += 1
        migration.mixed += len([c for c in channels if c in PREFIXES]) > 1
        count = connection.execute(
            sa.select(sa.func.count()).select_from(events).where(events.c.sender_id == sender)
        ).scalar_one()
        migration.events_renamed += int(count)
    return migration


def migrate(url: Optional[str] = None, dry_run: bool = False) -> Migration:
    """Renames the tracker store's unprefixed conversations (one transaction)."""
    import sqlalchemy as sa

    from addons.server import database

    engine = database.engine(url)
    events = database.events_table()
    try:
        if not sa.inspect(engine).has_table("events", schema=events.schema):
            return Migration()
        with engine.begin() as connection:
            migration = plan(connection, events)
            if not dry_run:
                for old, new in migration.renames:
                    connection.execute(
                        events.update().where(events.c.sender_id == old).values(sender_id=new)
                    )
    finally:
        engine.dispose()
    return migration


def migrate_sms_state(path: Path, dry_run: bool = False) -> int:
    """Renames the SMS state file's phone keys to `sms:<phone>`; returns how many."""
    if not path.exists():
        return 0
    db = sqlite3.connect(str(path))
    try:
        renamed = 0
        with db:
            for table in ("opt_outs", "choices"):
                exists = db.execute(
                    "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (table,)
                ).fetchone()
                if not exists:
                    continue
                (count,) = db.execute(
                    f"SELECT COUNT(*) FROM {table} WHERE phone NOT LIKE 'sms:%'"
                ).fetchone()
                renamed += int(count)
                if not dry_run:
                    # A key present both ways keeps the prefixed (newer) row.
                    db.execute(
                        f"UPDATE OR IGNORE {table} SET phone = 'sms:' || phone "
                        "WHERE phone NOT LIKE 'sms:%'"
                    )
                    db.execute(f"DELETE FROM {table} WHERE phone NOT LIKE 'sms:%'")
        return renamed
    finally:
        db.close()


def main(argv: Optional[Sequence[str]] = None) -> int:
    from common.settings import SettingsError, current

    parser = argparse.ArgumentParser(
        prog="python -m addons.staff.migrate_ids",
        description="Rename stored conversations to ids that carry their channel.",
    )
    parser.add_argument("--dry-run", action="store_true", help="only count")
    args = parser.parse_args(argv)
    try:
        settings = current()
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    from addons.server.database import StoreUnavailable

    try:
        migration = migrate(dry_run=args.dry_run)
    except StoreUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return 3
    migration.sms_keys_renamed = migrate_sms_state(settings.sms_state_file, args.dry_run)
    print(migration.summary(args.dry_run))
    return 0


if __name__ == "__main__":
    sys.exit(main())
