"""What the SMS channel must remember, on the tracker database every server shares.

* opt-outs: a number that texted STOP (or that Twilio reports as unsubscribed)
  gets nothing more until it texts START;
* the numbered choices last offered to each number (``1`` -> that payload);
* the MessageSids already accepted, so a Twilio retry is processed once, whichever
  server it reaches;
* the language each number was last answered in, so the channel's own texts
  (HELP, STOP, the rate-limit notice, the error text) are in the parent's language.

The rows live in the tables `sms_opt_outs`, `sms_choices`, `sms_seen_messages` and
`sms_languages` (`addons.practice.db`), beside Rasa's `events` table: SQLite by
default, PostgreSQL when `DATABASE_URL` is set. So Twilio's webhook can go to any
Rasa server behind a load balancer: a STOP taken by one is honoured by the others,
and a retried MessageSid reaching another server is not answered twice (the
``INSERT ... ON CONFLICT DO NOTHING`` decides, atomically). Rows are keyed by the
SMS conversation id (``sms:+1...``, `common.conversations`).

Before, the state was a per-machine SQLite file (`SMS_STATE_FILE`, default
``var/sms_state.sqlite3``). `import_state_file` copies such a file into the
database once (an opt-out must never be lost on an upgrade) and renames it
``<name>.imported``; the channel calls it when it starts.

Every method is synchronous and quick; the connector calls them from a worker
thread, never on the event loop.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Union

import sqlalchemy as sa

from addons.practice import db
from common.conversations import sms_conversation
from common.paths import DEFAULT_SMS_STATE_FILE
from common.settings import current

logger = logging.getLogger(__name__)

DEFAULT_STATE_FILE = DEFAULT_SMS_STATE_FILE
SEEN_TTL_SECONDS = 7 * 24 * 3600  # Twilio retries within minutes; keep a week
PRUNE_EVERY = 500  # first_time_seen calls between two prunes (the first call prunes)
IMPORTED_SUFFIX = ".imported"


def _key(phone: str) -> str:
    """Rows are keyed by the SMS conversation id (`sms:+1...`, `common.conversations`),
    the id retention and the review report use; the column keeps its old name."""
    return phone if phone.startswith("sms:") else sms_conversation(phone)


def state_file_from_env() -> Path:
    """`SMS_STATE_FILE` (common.settings), default `var/sms_state.sqlite3`: the old
    per-machine file, read once to import it (`import_state_file`)."""
    return Path(current().sms_state_file)


def _sqlite_folder(url: str) -> None:
    """Creates the folder of a SQLite file named by an explicit URL (the tracker
    database's own folder is created by `addons.server.database.check_database`)."""
    parsed = sa.engine.make_url(url)
    if parsed.drivername.startswith("sqlite") and parsed.database:
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


class SmsStore:
    """The SMS channel's state on one database.

    `url` is a SQLAlchemy URL; None (the channel's case) is the tracker database
    (`DATABASE_URL`, else the SQLite file `TRACKER_SQLITE_PATH`). A private store,
    such as the command-line chat's SMS preview, passes its own ``sqlite:///...``.
    `clock` gives the time in epoch seconds (tests move it to check the week's TTL).
    """

    def __init__(
        self, url: Optional[str] = None, *, clock: Callable[[], float] = time.time
    ) -> None:
        if url is not None and not isinstance(url, str):
            raise TypeError("SmsStore takes a SQLAlchemy URL (str), not a file path")
        if url is not None:
            _sqlite_folder(url)
        self.engine = db.engine(url)  # tables created if missing
        if self.engine.dialect.name not in ("sqlite", "postgresql"):
            raise ValueError(
                f"the SMS state needs SQLite or PostgreSQL, not {self.engine.dialect.name}"
            )
        self.clock = clock
        self._lock = threading.Lock()  # guards the prune counter only
        self._inserts = 0

    def close(self) -> None:
        """Nothing to release: connections go back to the engine's pool per call (the
        engine is shared by the process, `addons.practice.db.engine`)."""

    # --- dialect-aware statements ---------------------------------------------
    def _insert(self, table: sa.Table) -> Any:
        """The dialect's INSERT, which has ON CONFLICT (the tracker database is
        SQLite or PostgreSQL)."""
        if self.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            return pg_insert(table)
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table)

    def _insert_new(self, connection: Any, table: sa.Table, values: Dict[str, Any]) -> bool:
        """INSERT ... ON CONFLICT DO NOTHING; True when this call inserted the row.
        The database decides, so two servers inserting the same key at the same
        moment get one True between them."""
        statement = self._insert(table).values(**values).on_conflict_do_nothing()
        return bool(connection.execute(statement).rowcount == 1)

    def _upsert(self, connection: Any, table: sa.Table, key: str, values: Dict[str, Any]) -> None:
        """INSERT, or UPDATE the row with the same `key` (the newest value wins)."""
        statement = self._insert(table).values(**values)
        changed = {name: statement.excluded[name] for name in values if name != key}
        connection.execute(statement.on_conflict_do_update(index_elements=[key], set_=changed))

    # --- opt-out ------------------------------------------------------------
    def opt_out(self, phone: str, keyword: str = "STOP") -> bool:
        """Records the opt-out; True when the number was not opted out before."""
        with self.engine.begin() as connection:
            return self._insert_new(
                connection,
                db.sms_opt_outs,
                {"phone": _key(phone), "keyword": keyword[:20], "at": self.clock()},
            )

    def opt_in(self, phone: str) -> bool:
        """Removes the opt-out; True when the number was opted out."""
        table = db.sms_opt_outs
        with self.engine.begin() as connection:
            result = connection.execute(table.delete().where(table.c.phone == _key(phone)))
            return bool(result.rowcount == 1)

    def is_opted_out(self, phone: str) -> bool:
        table = db.sms_opt_outs
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(table.c.phone).where(table.c.phone == _key(phone))
            ).first()
        return row is not None

    # --- numbered choices ---------------------------------------------------
    def set_choices(self, phone: str, payloads: List[str]) -> None:
        with self.engine.begin() as connection:
            self._upsert(
                connection,
                db.sms_choices,
                "phone",
                {"phone": _key(phone), "payloads": json.dumps(list(payloads)), "at": self.clock()},
            )

    def choice(self, phone: str, number: int) -> Optional[str]:
        """The payload of choice ``number`` (1-based) last offered to ``phone``."""
        table = db.sms_choices
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(table.c.payloads).where(table.c.phone == _key(phone))
            ).first()
        if not row:
            return None
        payloads = json.loads(row[0])
        return payloads[number - 1] if 1 <= number <= len(payloads) else None

    # --- language -----------------------------------------------------------
    def set_language(self, phone: str, language: str) -> None:
        with self.engine.begin() as connection:
            self._upsert(
                connection,
                db.sms_languages,
                "phone",
                {"phone": _key(phone), "language": language, "at": self.clock()},
            )

    def language(self, phone: str) -> Optional[str]:
        """The language the number was last answered in, if any."""
        table = db.sms_languages
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(table.c.language).where(table.c.phone == _key(phone))
            ).first()
        return str(row[0]) if row else None

    # --- retries ------------------------------------------------------------
    def first_time_seen(self, sid: str) -> bool:
        """Marks a MessageSid as accepted; False when it was accepted before (by any
        server). Sids older than a week are pruned now and then."""
        now = self.clock()
        table = db.sms_seen_messages
        with self._lock:
            self._inserts += 1
            prune = self._inserts % PRUNE_EVERY == 1
        with self.engine.begin() as connection:
            new = self._insert_new(connection, table, {"sid": sid, "at": now})
        if prune:
            with self.engine.begin() as connection:
                connection.execute(table.delete().where(table.c.at < now - SEEN_TTL_SECONDS))
        return new


# --- the old per-machine file -------------------------------------------------------
_OLD_TABLES = {  # old table -> (new table, its columns, in the old table's order)
    "opt_outs": (db.sms_opt_outs, ("phone", "keyword", "at")),
    "languages": (db.sms_languages, ("phone", "language", "at")),
    "choices": (db.sms_choices, ("phone", "payloads", "at")),
    "seen_messages": (db.sms_seen_messages, ("sid", "at")),
}


@dataclass
class Imported:
    """What `import_state_file` did: rows read and rows newly added, per old table."""

    path: Optional[Path] = None
    renamed_to: Optional[Path] = None
    read: Dict[str, int] = field(default_factory=dict)
    added: Dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        parts = [
            f"{self.added.get(name, 0)} of {self.read.get(name, 0)} {label}"
            for name, label in (
                ("opt_outs", "opt-outs"),
                ("languages", "languages"),
                ("choices", "choices"),
                ("seen_messages", "recent MessageSids"),
            )
        ]
        return ", ".join(parts)


def _read_old_file(path: Path, now: float) -> Dict[str, List[Dict[str, Any]]]:
    """The old file's rows (keys as `sms:` ids; sids within the week's TTL), prefixed
    keys first so a key stored both ways keeps the newer, prefixed row."""
    rows: Dict[str, List[Dict[str, Any]]] = {}
    # Read-write (closing the last connection folds a WAL file left by a crash into
    # the file, so nothing written before the upgrade is missed), never create.
    connection = sqlite3.connect(path.resolve().as_uri() + "?mode=rw", uri=True, timeout=10)
    try:
        present = {
            name
            for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        for old, (_table, columns) in _OLD_TABLES.items():
            if old not in present:
                continue
            found = [
                dict(zip(columns, row, strict=True))
                for row in connection.execute(f"SELECT {', '.join(columns)} FROM {old}")
            ]
            if "phone" in columns:
                found.sort(key=lambda row: not str(row["phone"]).startswith("sms:"))
                for row in found:
                    row["phone"] = _key(str(row["phone"]))
                    for name, width in (("keyword", 20), ("language", 5)):
                        if name in row:
                            row[name] = str(row[name])[:width]
            else:
                found = [row for row in found if float(row["at"]) >= now - SEEN_TTL_SECONDS]
            rows[old] = found
    finally:
        connection.close()
    return rows


def _imported_name(path: Path) -> Path:
    """``<name>.imported``; when a copy of an earlier import is already there,
    ``<name>.imported-<epoch>`` so neither is overwritten."""
    target = path.with_name(path.name + IMPORTED_SUFFIX)
    if target.exists():
        target = path.with_name(f"{path.name}{IMPORTED_SUFFIX}-{int(time.time())}")
    return target


def import_state_file(store: SmsStore, path: Union[str, Path, None] = None) -> Imported:
    """Copies the old per-machine SMS state file (`SMS_STATE_FILE`) into `store`'s
    database, once: opt-outs above all, then languages, choices and the MessageSids
    of the last week. A row already in the database wins (INSERT ... ON CONFLICT DO
    NOTHING), so several servers importing their own files, or the same file at
    the same moment, lose nothing. The file (with any -wal/-shm companion) is then
    renamed `<name>.imported` so it is not read again; when it cannot be renamed it
    is read again at the next start, which can only bring back an opt-out that was
    lifted (the safe side) and is logged as a warning."""
    path = Path(path) if path else state_file_from_env()
    result = Imported(path=path)
    if not path.is_file():
        return result
    try:
        rows = _read_old_file(path, store.clock())
    except sqlite3.DatabaseError as error:
        if not path.exists():
            return result  # another process on this machine imported and renamed it
        logger.error(
            "The old SMS state file %s could not be read (%s): its opt-outs were not "
            "imported; fix or remove it",
            path,
            error,
        )
        return result
    with store.engine.begin() as connection:  # all or nothing
        for old, (table, _columns) in _OLD_TABLES.items():
            found = rows.get(old, [])
            result.read[old] = len(found)
            result.added[old] = sum(store._insert_new(connection, table, row) for row in found)
    target = _imported_name(path)
    try:
        path.rename(target)
        for suffix in ("-wal", "-shm"):
            companion = path.with_name(path.name + suffix)
            if companion.exists():
                companion.rename(target.with_name(target.name + suffix))
        result.renamed_to = target
    except FileNotFoundError:
        pass  # another process on this machine imported and renamed it meanwhile
    except OSError as error:
        logger.warning(
            "Imported the old SMS state file %s but could not rename it (%s): it will be "
            "read again at the next start; rename or remove it",
            path,
            error.strerror or error,
        )
    logger.info(
        "Imported the old SMS state file %s into the tracker database: %s (rows already "
        "there kept)%s",
        path,
        result.summary(),
        f"; renamed to {target.name}" if result.renamed_to else "",
    )
    return result
