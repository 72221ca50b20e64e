"""The tracker database and Redis: URLs from the settings, start-up checks, an engine.

The URLs come from `common.settings` (`DATABASE_URL`, else the SQLite file
`TRACKER_SQLITE_PATH`; `REDIS_URL`; how long to wait: `DATABASE_WAIT_SECONDS`).
Used by the Rasa stores (`addons.server.stores`), the run command's start-up checks
(`addons.server.serve`) and the retention and review commands, which read the same
`events` table Rasa's `SQLTrackerStore` writes (`addons.rasa_compat.sql_events`).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Callable, Optional, Tuple
from urllib.parse import urlsplit

from addons.rasa_compat.sql_events import events_table  # noqa: F401  (re-exported)
from common.settings import current

logger = logging.getLogger(__name__)


class StoreUnavailable(RuntimeError):
    """A configured store cannot be reached; the message names the setting."""


def _wait_seconds() -> float:
    return current().database_wait_seconds


def database_url() -> Tuple[str, str]:
    """(SQLAlchemy URL, name of the setting it came from)."""
    return current().tracker_url


def safe_url(url: str) -> str:
    """The URL with its password hidden, for messages."""
    import sqlalchemy as sa

    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable URL>"


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def check_database(
    url: Optional[str] = None, setting: Optional[str] = None, wait: Optional[float] = None
) -> None:
    """Connects once (retrying for `wait` seconds); raises StoreUnavailable."""
    import sqlalchemy as sa

    if url is None:
        url, setting = database_url()
    setting = setting or "DATABASE_URL"
    wait = _wait_seconds() if wait is None else wait
    try:
        parsed = sa.engine.make_url(url)
    except Exception as error:
        raise StoreUnavailable(
            f"{setting} is not a valid database URL ({_first_line(error)})"
        ) from None
    if parsed.drivername.startswith("sqlite"):
        if parsed.database:
            folder = Path(parsed.database).parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise StoreUnavailable(
                    f"cannot create the folder of the SQLite tracker store ({setting}): "
                    f"{folder}: {error.strerror}"
                ) from None
        connect_args = {}
    else:
        connect_args = {"connect_timeout": 5} if parsed.drivername.startswith("postgresql") else {}

    def ping() -> None:
        engine = sa.create_engine(url, connect_args=connect_args, poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
        finally:
            engine.dispose()

    _retry(ping, wait, f"cannot reach the tracker database set by {setting} ({safe_url(url)})")


def _retry(ping: Callable[[], None], wait: float, failure: str) -> None:
    """Calls `ping` once a second until it succeeds or `wait` seconds have passed;
    then raises StoreUnavailable with `failure` and the error's first line."""
    deadline = time.monotonic() + wait
    while True:
        try:
            ping()
            return
        except Exception as error:
            if time.monotonic() >= deadline:
                raise StoreUnavailable(f"{failure}: {_first_line(error)}") from None
            time.sleep(1)


def check_redis(url: Optional[str] = None, wait: Optional[float] = None) -> None:
    """Pings Redis at REDIS_URL (if set), retrying for `wait` seconds."""
    url = url if url is not None else current().redis_url
    if not url:
        return
    import redis

    def ping() -> None:
        client = redis.Redis.from_url(url, socket_timeout=3, socket_connect_timeout=3)
        try:
            client.ping()
        finally:
            client.close()

    _retry(
        ping,
        _wait_seconds() if wait is None else wait,
        f"cannot reach Redis set by REDIS_URL ({redis_safe(url)})",
    )


def redis_safe(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{'***@' if parts.password else ''}{host}{port}{parts.path}"


def redis_kwargs(url: str) -> dict:
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss"):
        raise StoreUnavailable(
            f"REDIS_URL must start with redis:// or rediss://, not {parts.scheme}://"
        )
    db = (parts.path or "/0").lstrip("/") or "0"
    return {
        "host": parts.hostname or "localhost",
        "port": parts.port or 6379,
        "db": int(db),
        "username": parts.username or None,
        "password": parts.password or None,
        "use_ssl": parts.scheme == "rediss",
        "key_prefix": "pulpcare",
    }


def engine(url: Optional[str] = None):
    """A SQLAlchemy engine on the tracker database (checked first)."""
    import sqlalchemy as sa

    if url is None:
        url, setting = database_url()
        check_database(url, setting)
    return sa.create_engine(url, future=True)
