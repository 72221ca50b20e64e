"""Patch 4 of `addons.rasa_compat`: a per-conversation mutex around Rasa's Redis lock.

Rasa 3.6's `RedisLockStore` reads a conversation's ticket lock and writes it back
with separate GET and SET calls. `addons.server.stores.EnvLockStore` runs those
read-change-write steps under the mutex built here from the store's private
`red` (its Redis client) and `key_prefix`.
"""

from __future__ import annotations

import contextlib
from typing import Any, ContextManager

from rasa.core.lock_store import DEFAULT_REDIS_LOCK_STORE_KEY_PREFIX, RedisLockStore


def lock_mutex(store: Any, conversation_id: str, seconds: float) -> ContextManager[Any]:
    """Held while a conversation's lock is read, changed and written back.

    In memory those steps never yield to another task, so no mutex is needed."""
    if not isinstance(store, RedisLockStore):
        return contextlib.nullcontext()
    # "<prefix>:lock:" -> "<prefix>:mutex:": never the key of a conversation's lock
    prefix = store.key_prefix[: -len(DEFAULT_REDIS_LOCK_STORE_KEY_PREFIX)]
    name = f"{prefix}mutex:{conversation_id}"
    lock: ContextManager[Any] = store.red.lock(name, timeout=seconds, blocking_timeout=seconds)
    return lock
