"""The background loop of each Rasa server: alerts to deliver, check-ins due.

Started with the server (`channel.py`); every `DISPATCH_INTERVAL_SECONDS`, or at
once when woken (`kick()`: a red flag was just recorded), it asks each job for
its due work. Each job claims a row before it acts on it with one conditional
update (PostgreSQL: `FOR UPDATE SKIP LOCKED`), so with several servers on one
database a row is handled by one of them only. A job's failure is logged and the
loop goes on; nothing here ever delays a parent's reply.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, List, Optional, Protocol

from addons.practice import clock

logger = logging.getLogger(__name__)

SERVER_ID = f"{socket.gethostname()}:{os.getpid()}"  # who claimed a row


class Job(Protocol):
    name: str

    async def run_due(self, now: datetime) -> None: ...


@dataclass
class LoopContext:
    """What jobs need from the running server: the agent (to send a check-in into a
    conversation) and the SMS channel (its Twilio sender), when it is on."""

    app: Any = None

    @property
    def agent(self) -> Any:
        return getattr(self.app.ctx, "agent", None) if self.app is not None else None

    def input_channel(self, name: str) -> Any:
        channels = getattr(self.app.ctx, "input_channels", None) if self.app is not None else None
        return next((c for c in channels or [] if c.name() == name), None)

    @property
    def sms_sender(self) -> Any:
        """The SMS channel's `SmsSender`, or None when the channel is off."""
        channel = self.input_channel("twilio")
        return getattr(channel, "sender", None)


@dataclass
class Dispatcher:
    jobs: List[Job]
    interval: float
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _task: Optional[asyncio.Task] = None
    passes: int = 0  # completed passes (tests wait on it)

    def kick(self) -> None:
        self._wake.set()

    async def run_once(self) -> None:
        now = clock.now()
        for job in self.jobs:
            try:
                await job.run_due(now)
            except Exception:
                logger.exception("practice loop: the %s job failed; retrying next pass", job.name)
        self.passes += 1

    async def _run(self) -> None:
        while True:
            await self.run_once()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.interval)
            except asyncio.TimeoutError:
                pass
            self._wake.clear()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
            self._task = None


_current: Optional[Dispatcher] = None


def current() -> Optional[Dispatcher]:
    return _current


def install(dispatcher: Optional[Dispatcher]) -> None:
    global _current
    _current = dispatcher


def kick() -> None:
    """Wakes this server's loop (no-op when none runs: a staff command, a test)."""
    if _current is not None:
        _current.kick()
