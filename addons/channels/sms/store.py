"""What the SMS channel must remember across restarts, in one SQLite file.

* opt-outs: a number that texted STOP (or that Twilio reports as unsubscribed)
  gets nothing more until it texts START;
* the numbered choices last offered to each number (``1`` -> that payload);
* the MessageSids already accepted, so a Twilio retry is processed once;
* the language each number was last answered in, so the channel's own texts
  (HELP, STOP, the rate-limit notice, the error text) are in the parent's language.

The file is ``SMS_STATE_FILE`` (default ``var/sms_state.sqlite3`` in the project,
a git-ignored folder). Every method is synchronous and quick; the connector calls
them from a worker thread, never on the event loop.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import List, Optional, Union

from common.conversations import sms_conversation
from common.paths import DEFAULT_SMS_STATE_FILE
from common.settings import current

DEFAULT_STATE_FILE = DEFAULT_SMS_STATE_FILE
SEEN_TTL_SECONDS = 7 * 24 * 3600  # Twilio retries within minutes; keep a week

_SCHEMA = """
CREATE TABLE IF NOT EXISTS opt_outs (
    phone TEXT PRIMARY KEY, keyword TEXT NOT NULL, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS choices (
    phone TEXT PRIMARY KEY, payloads TEXT NOT NULL, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS seen_messages (
    sid TEXT PRIMARY KEY, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS languages (
    phone TEXT PRIMARY KEY, language TEXT NOT NULL, at REAL NOT NULL);
"""


def _key(phone: str) -> str:
    """Rows are keyed by the SMS conversation id (`sms:+1...`, `common.conversations`),
    the id retention and the review report use; the column keeps its old name."""
    return phone if phone.startswith("sms:") else sms_conversation(phone)


def state_file_from_env() -> Path:
    """`SMS_STATE_FILE` (common.settings), default `var/sms_state.sqlite3`."""
    return Path(current().sms_state_file)


class SmsStore:
    def __init__(self, path: Union[str, Path, None] = None) -> None:
        self.path = Path(path) if path else state_file_from_env()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._inserts = 0
        self._db = sqlite3.connect(
            str(self.path), check_same_thread=False, isolation_level=None, timeout=10
        )
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")  # an opt-out must survive a crash
            self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # --- opt-out ------------------------------------------------------------
    def opt_out(self, phone: str, keyword: str = "STOP") -> bool:
        """Records the opt-out; True when the number was not opted out before."""
        phone = _key(phone)
        with self._lock:
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO opt_outs (phone, keyword, at) VALUES (?, ?, ?)",
                (phone, keyword, time.time()),
            )
            return cursor.rowcount == 1

    def opt_in(self, phone: str) -> bool:
        """Removes the opt-out; True when the number was opted out."""
        phone = _key(phone)
        with self._lock:
            return self._db.execute("DELETE FROM opt_outs WHERE phone = ?", (phone,)).rowcount == 1

    def is_opted_out(self, phone: str) -> bool:
        phone = _key(phone)
        with self._lock:
            return (
                self._db.execute("SELECT 1 FROM opt_outs WHERE phone = ?", (phone,)).fetchone()
                is not None
            )

    # --- numbered choices ---------------------------------------------------
    def set_choices(self, phone: str, payloads: List[str]) -> None:
        phone = _key(phone)
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO choices (phone, payloads, at) VALUES (?, ?, ?)",
                (phone, json.dumps(list(payloads)), time.time()),
            )

    def choice(self, phone: str, number: int) -> Optional[str]:
        """The payload of choice ``number`` (1-based) last offered to ``phone``."""
        phone = _key(phone)
        with self._lock:
            row = self._db.execute(
                "SELECT payloads FROM choices WHERE phone = ?", (phone,)
            ).fetchone()
        if not row:
            return None
        payloads = json.loads(row[0])
        return payloads[number - 1] if 1 <= number <= len(payloads) else None

    # --- language -----------------------------------------------------------
    def set_language(self, phone: str, language: str) -> None:
        phone = _key(phone)
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO languages (phone, language, at) VALUES (?, ?, ?)",
                (phone, language, time.time()),
            )

    def language(self, phone: str) -> Optional[str]:
        """The language the number was last answered in, if any."""
        phone = _key(phone)
        with self._lock:
            row = self._db.execute(
                "SELECT language FROM languages WHERE phone = ?", (phone,)
            ).fetchone()
        return str(row[0]) if row else None

    # --- retries ------------------------------------------------------------
    def first_time_seen(self, sid: str) -> bool:
        """Marks a MessageSid as accepted; False when it was accepted before."""
        now = time.time()
        with self._lock:
            new = (
                self._db.execute(
                    "INSERT OR IGNORE INTO seen_messages (sid, at) VALUES (?, ?)", (sid, now)
                ).rowcount
                == 1
            )
            self._inserts += 1
            if self._inserts % 500 == 1:  # prune now and then
                self._db.execute(
                    "DELETE FROM seen_messages WHERE at < ?", (now - SEEN_TTL_SECONDS,)
                )
        return new
