"""Where conversations and conversation locks live, chosen from the environment.

`endpoints.yml` names the two classes below, so the same file serves a laptop
and a cluster and no secret is written in it:

    tracker_store: {type: addons.stores.EnvSQLTrackerStore}
    lock_store:    {type: addons.stores.EnvLockStore}

Both are Rasa's own engines (`SQLTrackerStore`, `RedisLockStore`); only the way
they are configured is ours (`addons.database`: `DATABASE_URL` for PostgreSQL,
otherwise a SQLite file; `REDIS_URL` for Redis locks). When the database cannot
be reached, start-up stops with one line naming the setting (`StoreUnavailable`)
instead of Rasa's endless retry loop.
"""
from __future__ import annotations

import logging
import os
from typing import Any, Optional, Text

from rasa.core.lock_store import InMemoryLockStore, LockStore, RedisLockStore
from rasa.core.tracker_store import SQLTrackerStore

from addons.database import (  # noqa: F401  (re-exported)
    StoreUnavailable,
    check_database,
    check_redis,
    database_url,
    redis_kwargs,
    redis_safe,
    safe_url,
)

logger = logging.getLogger(__name__)


class EnvSQLTrackerStore(SQLTrackerStore):  # type: ignore[misc, valid-type]
    """Rasa's SQLTrackerStore on `DATABASE_URL`, or on a SQLite file without it."""

    def __init__(self, domain: Any = None, host: Optional[Text] = None,
                 event_broker: Any = None, **kwargs: Any) -> None:
        url, setting = database_url()
        try:
            check_database(url, setting)
        except StoreUnavailable as error:
            logger.error("%s", error)
            # A RuntimeError, not an ImportError or AttributeError, which Rasa would
            # silently replace with an in-memory store.
            raise
        super().__init__(domain=domain, host=url, event_broker=event_broker)
        logger.info("Conversations are stored in %s", safe_url(url))


class EnvLockStore(LockStore):  # type: ignore[misc, valid-type]
    """Rasa's RedisLockStore on `REDIS_URL`, or its in-memory lock store without it.

    Rasa creates custom lock stores as `cls(endpoint_config=...)`; this one keeps
    the chosen store inside and hands it the three storage calls, so Rasa's own
    locking logic (tickets, waiting, expiry) runs unchanged."""

    def __init__(self, endpoint_config: Any = None) -> None:
        url = (os.environ.get("REDIS_URL") or "").strip()
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

