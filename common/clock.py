"""The time the practice loop and the callback answers read: real time, or a file's (tests).

`CLOCK_FILE` (a test setting, never set in production) names a file holding an
ISO 8601 date-time with its offset; while it exists, `now()` is that time plus
the real time elapsed since the file was last written, so a test moves the
clock by rewriting the file and never sleeps for a real delay.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Optional

from common.settings import current


def _file_time(path: Path) -> Optional[datetime]:
    try:
        text = path.read_text().strip()
        written = os.stat(path).st_mtime
    except OSError:
        return None
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    elapsed = max(0.0, datetime.now(timezone.utc).timestamp() - written)
    return at.astimezone(timezone.utc) + timedelta(seconds=elapsed)


def now() -> datetime:
    """The current time, timezone-aware, in UTC."""
    path = current().clock_file
    if path is not None:
        at = _file_time(Path(path))
        if at is not None:
            return at
    return datetime.now(timezone.utc)


def set_file_clock(path: Path, at: datetime) -> None:
    """Sets a CLOCK_FILE to `at` (tests and the demo)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(at.isoformat())
    tmp.replace(path)
