"""Patch 8 of `addons.rasa_compat`: a database error in one message is that message's
error, not the end of the server.

Rasa 3.6's `SQLTrackerStore.session_scope` catches every `ValueError` raised while a
session is open and exits the process, taking it for a missing PostgreSQL schema.
A `UnicodeEncodeError` is a `ValueError`: one REST request whose sender held a lone
surrogate ("\\udfff", legal in JSON, not encodable by SQLite) stopped the Rasa server
(found by the hostile-input suite). Here only the schema check can stop it, with the
same message; anything else propagates as an ordinary error, which the channel
answers with the "can't look that up" reply.
"""

from __future__ import annotations

import contextlib
from typing import Any, Iterator

from rasa.core.tracker_store import ensure_schema_exists


class SchemaMissing(RuntimeError):
    """The PostgreSQL schema named by POSTGRESQL_SCHEMA does not exist."""


@contextlib.contextmanager
def session_scope(store: Any) -> Iterator[Any]:
    """`SQLTrackerStore.session_scope`, without turning every ValueError into an exit."""
    session = store.sessionmaker()
    try:
        try:
            ensure_schema_exists(session)
        except ValueError as error:
            raise SchemaMissing(
                f"the PostgreSQL schema '{error}' (POSTGRESQL_SCHEMA) does not exist: create "
                "it, or unset POSTGRESQL_SCHEMA to use the default schema"
            ) from None
        yield session
    finally:
        session.close()
