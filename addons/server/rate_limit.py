"""A per-sender rate limit, the same for every channel.

    from addons.server.rate_limit import rate_limiter
    decision = await rate_limiter().check(channel_name, sender_id)
    if not decision.allowed:
        # do not hand the message to Rasa; answer politely (or stay silent)
        if decision.notify: reply(addons.server.replies.text("rate_limited"))

* A sliding window: at most `RATE_LIMIT_PER_MINUTE` messages (default 30) in any
  60 seconds per sender and channel. `0` turns the limit off.
* With `REDIS_URL` set the count lives in Redis, so several Rasa servers share
  it (a sender cannot get N times the limit by landing on N servers); otherwise
  it lives in this process. Keys are hashes: no phone number is written to Redis.
* `decision.notify` is true for the first refused message of a window only.
  Channels where every reply costs money (SMS) answer only then; free channels
  (REST, web) may answer every refused message.
* Per address as well (`RATE_LIMIT_PER_ADDRESS_PER_MINUTE`, default 120, across
  channels): one client cycling through sender or session ids is still slowed
  down. `check_message()` applies both. Twilio's webhook is not limited per
  address (every parent's text comes from Twilio's servers); it is signed.
* If Redis cannot be reached the message is allowed (a parent is never refused
  because of our own fault) and a warning is logged.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
import uuid
from collections import deque
from dataclasses import dataclass
from typing import Any, Deque, Dict, Optional, Tuple

from common.settings import current

logger = logging.getLogger(__name__)

DEFAULT_LIMIT = 30
DEFAULT_WINDOW_SECONDS = 60.0
KEY_PREFIX = "pulpcare:ratelimit:"

# Sliding window in one atomic step. Times come from the Redis server clock so
# servers with drifting clocks still agree.
_LUA = """
local key, window_ms, limit, member = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window_ms)
local count = redis.call('ZCARD', key)
if count < limit then
  redis.call('ZADD', key, now, member)
  redis.call('PEXPIRE', key, window_ms)
  return {1, 0, 0}
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
local retry = math.max(1, window_ms - (now - tonumber(oldest[2])))
local first = redis.call('SET', key .. ':told', '1', 'NX', 'PX', retry)
if first then return {0, retry, 1} end
return {0, retry, 0}
"""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    notify: bool = False  # first refusal in this window: tell the sender once
    retry_after: float = 0.0  # seconds until the next message would be allowed


def _key(channel: str, sender: str) -> str:
    digest = hashlib.sha256(f"{channel}\x00{sender}".encode("utf-8", "replace")).hexdigest()
    return KEY_PREFIX + digest[:40]


class RateLimiter:
    """Sliding-window limit per (channel, sender), in memory or in Redis."""

    def __init__(
        self,
        limit: int = DEFAULT_LIMIT,
        window: float = DEFAULT_WINDOW_SECONDS,
        redis_url: Optional[str] = None,
        max_senders: int = 100_000,
    ) -> None:
        self.limit = int(limit)
        self.window = float(window)
        self.redis_url = redis_url
        self._max_senders = max_senders
        self._hits: Dict[str, Deque[float]] = {}
        self._told: Dict[str, float] = {}
        self._redis: Any = None
        self._script: Any = None
        self._warned_at = 0.0

    @classmethod
    def from_env(cls) -> "RateLimiter":
        settings = current()
        return cls(limit=settings.rate_limit_per_minute, redis_url=settings.redis_url or None)

    @property
    def enabled(self) -> bool:
        return self.limit > 0

    async def check(self, channel: str, sender: str) -> Decision:
        """Counts this message for the sender and says whether it may go through."""
        if not self.enabled:
            return Decision(True)
        key = _key(channel, str(sender))
        if self.redis_url:
            try:
                return await self._check_redis(key)
            except Exception as error:  # Redis down: never refuse a parent for our fault
                now = time.monotonic()
                if now - self._warned_at > 30:
                    self._warned_at = now
                    logger.warning(
                        "rate limit: Redis unavailable (%s); allowing messages",
                        type(error).__name__,
                    )
                return Decision(True)
        return self._check_memory(key, time.monotonic())

    # --- in memory ------------------------------------------------------------
    def _check_memory(self, key: str, now: float) -> Decision:
        hits = self._hits.get(key)
        if hits is None:
            if len(self._hits) >= self._max_senders:
                self._evict(now)
            hits = self._hits[key] = deque()
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) < self.limit:
            hits.append(now)
            return Decision(True)
        retry = max(0.0, self.window - (now - hits[0]))
        told_until = self._told.get(key, 0.0)
        notify = told_until <= now
        if notify:
            self._told[key] = now + retry
        return Decision(False, notify=notify, retry_after=retry)

    def _evict(self, now: float) -> None:
        stale = [k for k, hits in self._hits.items() if not hits or hits[-1] <= now - self.window]
        for key in stale:
            self._hits.pop(key, None)
            self._told.pop(key, None)
        if len(self._hits) >= self._max_senders:  # still full: drop the oldest half
            for key in list(self._hits)[: self._max_senders // 2]:
                self._hits.pop(key, None)
                self._told.pop(key, None)

    # --- Redis ----------------------------------------------------------------
    async def _check_redis(self, key: str) -> Decision:
        if self._script is None:
            import redis.asyncio as aioredis

            self._redis = aioredis.Redis.from_url(
                self.redis_url, socket_timeout=2, socket_connect_timeout=2
            )
            self._script = self._redis.register_script(_LUA)
        allowed, retry_ms, first = await asyncio.wait_for(
            self._script(keys=[key], args=[int(self.window * 1000), self.limit, uuid.uuid4().hex]),
            timeout=3,
        )
        return Decision(bool(allowed), notify=bool(first), retry_after=int(retry_ms) / 1000.0)

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.close()
            self._redis, self._script = None, None


_shared: Dict[str, Tuple[RateLimiter, Optional[int]]] = {}
ADDRESS = "address"  # the key space of the per-address limit


def _limiter(kind: str) -> RateLimiter:
    """One instance per kind and event loop: the Redis client is bound to the loop
    it was made on (Sanic runs one loop per server process)."""
    try:
        loop_id: Optional[int] = id(asyncio.get_running_loop())
    except RuntimeError:
        loop_id = None
    limiter, owner = _shared.get(kind, (None, None))
    if limiter is None or (limiter.redis_url and owner != loop_id):
        if kind == ADDRESS:
            settings = current()
            limiter = RateLimiter(
                limit=settings.rate_limit_per_address_per_minute,
                redis_url=settings.redis_url or None,
            )
        else:
            limiter = RateLimiter.from_env()
        _shared[kind] = (limiter, loop_id)
    return limiter


def rate_limiter() -> RateLimiter:
    """The process-wide per-sender limiter, configured from the settings."""
    return _limiter("sender")


def address_limiter() -> RateLimiter:
    """The process-wide per-address limiter (`RATE_LIMIT_PER_ADDRESS_PER_MINUTE`)."""
    return _limiter(ADDRESS)


async def check_message(channel: str, sender: str, address: Optional[str]) -> Decision:
    """Both limits for one message: its sender's, then its client address's."""
    decision = await rate_limiter().check(channel, sender)
    if decision.allowed and address:
        decision = await address_limiter().check(ADDRESS, address)
    return decision
