"""Where conversations and conversation locks live, chosen from the environment.

`endpoints.yml` names the two classes below, so the same file serves a laptop
and a cluster and no secret is written in it:

    tracker_store: {type: addons.server.stores.EnvSQLTrackerStore}
    lock_store:    {type: addons.server.stores.EnvLockStore}

Both are Rasa's own engines (`SQLTrackerStore`, `RedisLockStore`); only the way
they are configured is ours (`addons.server.database`: `DATABASE_URL` for PostgreSQL,
otherwise a SQLite file; `REDIS_URL` for Redis locks). When the database cannot
be reached, start-up stops with one line naming the setting (`StoreUnavailable`)
instead of Rasa's endless retry loop.

Per message, Rasa's SQL store reads every event of the conversation session
back from the database and rebuilds each event object, then counts the stored
events again before it writes the new ones. `EnvSQLTrackerStore` keeps the
events of the most recent conversations (`TRACKER_CACHE_SIZE`, default 2,000;
0 turns it off) in memory and asks the database one indexed question per read
and write instead: how many events does this conversation have, and what is the
last id? When the answer matches what it holds, the tracker is rebuilt from the
events in memory; when it does not (another server answered, retention deleted
the conversation, anything else wrote), it reads from the database as Rasa does.
The database stays the truth; the memory only saves re-reading it.

A SQLite file is opened in WAL mode with `synchronous=NORMAL` (a commit no longer
waits for the disk twice; a power cut can lose the last turn, never corrupt the
file), and its connections are pooled instead of opened for every query.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, List, Optional, Text, Tuple

import sqlalchemy as sa
from rasa.core.lock_store import LOCK_LIFETIME, InMemoryLockStore, LockStore, RedisLockStore
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker

from addons.practice.observe import observe
from addons.rasa_compat.redis_lock import lock_mutex
from addons.rasa_compat.sql_events import event_row
from addons.rasa_compat.sql_session import session_scope
from addons.server.database import (  # noqa: F401  (re-exported)
    StoreUnavailable,
    check_database,
    check_redis,
    database_url,
    redis_kwargs,
    redis_safe,
    safe_url,
)
from addons.server.events import since_last
from common.settings import current

logger = logging.getLogger(__name__)


Stamp = Tuple[int, Optional[int]]  # (number of events, highest event id) of one sender


def cache_size() -> int:
    return current().tracker_cache_size


@dataclass
class _Cached:
    stamp: Stamp
    events: List[Event]  # the latest session's events, as Rasa's retrieve returns them


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


class EnvSQLTrackerStore(SQLTrackerStore):  # type: ignore[misc, valid-type]
    """Rasa's SQLTrackerStore on `DATABASE_URL`, or on a SQLite file without it,
    with the recent conversations' events kept in memory (checked on every use)."""

    def __init__(
        self,
        domain: Any = None,
        host: Optional[Text] = None,
        event_broker: Any = None,
        **kwargs: Any,
    ) -> None:
        url, setting = current().tracker_url
        try:
            check_database(url, setting)
        except StoreUnavailable as error:
            logger.error("%s", error)
            # A RuntimeError, not an ImportError or AttributeError, which Rasa would
            # silently replace with an in-memory store.
            raise
        super().__init__(domain=domain, host=url, event_broker=event_broker)
        self.engine: Any  # Rasa's SQLAlchemy engine (replaced by a pooled one on SQLite)
        if self.engine.dialect.name == "sqlite":
            self._pool_sqlite(url)
        self._cache: "OrderedDict[str, _Cached]" = OrderedDict()
        self._cache_size = cache_size()
        logger.info("Conversations are stored in %s", safe_url(url))

    def session_scope(self) -> Any:
        """Rasa's, except that only a missing schema is fatal (addons.rasa_compat)."""
        return session_scope(self)

    def _pool_sqlite(self, url: str) -> None:
        self.engine.dispose()
        self.engine = sa.create_engine(
            url,
            poolclass=sa.pool.QueuePool,
            pool_size=2,
            max_overflow=8,
            connect_args={"check_same_thread": False},
        )
        sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    # -- the one question asked per read and per write ---------------------------------
    def _stamp(self, session: Any, sender_id: Text) -> Stamp:
        count, last_id = (
            session.query(sa.func.count(self.SQLEvent.id), sa.func.max(self.SQLEvent.id))
            .filter(self.SQLEvent.sender_id == sender_id)
            .one()
        )
        return int(count or 0), last_id

    def _remember(self, sender_id: Text, stamp: Stamp, events: List[Event]) -> None:
        if not self._cache_size:
            return
        self._cache[sender_id] = _Cached(stamp, list(events))
        self._cache.move_to_end(sender_id)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    def _tracker(self, sender_id: Text, events: List[Event]) -> Optional[DialogueStateTracker]:
        if not (self.domain and events):
            return None
        return DialogueStateTracker.from_events(sender_id, events, self.domain.slots)

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        """The latest session's tracker, from memory when the database has not changed."""
        if not self._cache_size:
            return await super().retrieve(sender_id)
        cached = self._cache.get(sender_id)
        if cached is None:
            return await self._retrieve_and_remember(sender_id)
        with self.session_scope() as session:
            stamp = self._stamp(session, sender_id)
        if stamp != cached.stamp:
            self._cache.pop(sender_id, None)
            return await self._retrieve_and_remember(sender_id)
        self._cache.move_to_end(sender_id)
        return self._tracker(sender_id, cached.events)

    async def _retrieve_and_remember(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        with self.session_scope() as session:
            stamp = self._stamp(session, sender_id)
        tracker = await super().retrieve(sender_id)
        # Read after the stamp: if someone wrote in between, the next stamp differs
        # and the next read goes to the database again.
        if tracker is not None and self.domain:
            self._remember(sender_id, stamp, list(tracker.events))
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Writes the tracker's new events, then lets the practice loop read the turn
        (a red flag alerts the on-call contacts: `addons.practice.observe`)."""
        await self._save(tracker)
        observe(tracker)

    async def _save(self, tracker: DialogueStateTracker) -> None:
        """Writes the tracker's new events; known from memory when nothing else wrote."""
        sender_id = tracker.sender_id
        cached = self._cache.pop(sender_id, None)
        events = list(tracker.events)
        known = len(cached.events) if cached else 0
        fast = (
            cached is not None
            and len(events) >= known
            and (known == 0 or events[known - 1] is cached.events[-1])
        )
        if fast:
            assert cached is not None  # `fast` needs it
            with self.session_scope() as session:
                if self._stamp(session, sender_id) == cached.stamp:
                    await self.stream_events(tracker)
                    rows = [self._row(sender_id, event) for event in events[known:]]
                    session.add_all(rows)
                    session.flush()  # assigns the ids
                    count, last_id = cached.stamp
                    if rows:
                        count, last_id = count + len(rows), max(row.id for row in rows)
                    session.commit()
                    self._remember(sender_id, (count, last_id), since_last(events, SessionStarted))
                    return
        await super().save(tracker)  # Rasa's own way; the next read refreshes memory

    def _row(self, sender_id: Text, event: Event) -> Any:
        return event_row(self.SQLEvent, sender_id, event)


class EnvLockStore(LockStore):  # type: ignore[misc, valid-type]
    """Rasa's RedisLockStore on `REDIS_URL`, or its in-memory lock store without it.

    Rasa creates custom lock stores as `cls(endpoint_config=...)`; this one keeps
    the chosen store inside and hands it the three storage calls, so Rasa's own
    locking logic (tickets, waiting, expiry) runs unchanged.

    With Redis, the three places where Rasa reads a conversation's lock, changes
    it and writes it back (issuing a ticket, dropping expired tickets, finishing
    a ticket and deleting the lock) run under a short Redis mutex. Rasa 3.6 does
    them as separate GET and SET calls, so two servers that take messages of
    one conversation at the same moment could both get the same ticket, or one
    could write back a ticket the other had just finished or delete a lock the
    other had just joined: both then answer at once and one turn is lost from
    the stored conversation, or a message waits for a stale ticket to expire
    (60 s). The two-server test showed it in about 1 run in 4."""

    MUTEX_SECONDS = 10.0

    def __init__(self, endpoint_config: Any = None) -> None:
        url = current().redis_url
        if url:
            check_redis(url)
            self._store = RedisLockStore(**redis_kwargs(url))
            logger.info("Conversation locks are kept in Redis (%s)", redis_safe(url))
        else:
            self._store = InMemoryLockStore()
        super().__init__()

    @property
    def store(self) -> Any:
        return self._store

    def get_lock(self, conversation_id: Text) -> Any:
        return self._store.get_lock(conversation_id)

    def delete_lock(self, conversation_id: Text) -> None:
        self._store.delete_lock(conversation_id)

    def save_lock(self, lock: Any) -> None:
        self._store.save_lock(lock)

    def _mutex(self, conversation_id: Text) -> Any:
        return lock_mutex(self._store, conversation_id, self.MUTEX_SECONDS)

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
        with self._mutex(conversation_id):
            return super().issue_ticket(conversation_id, lock_lifetime)

    def update_lock(self, conversation_id: Text) -> None:
        with self._mutex(conversation_id):
            super().update_lock(conversation_id)

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        with self._mutex(conversation_id):  # finish the ticket, delete if nobody waits
            super().cleanup(conversation_id, ticket_number)
