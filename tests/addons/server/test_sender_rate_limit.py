"""The per-sender rate limit: in memory for one server, in Redis for several."""

import asyncio

from addons.server.rate_limit import KEY_PREFIX, RateLimiter


def test_thirty_a_minute_then_polite_once_then_allowed_again():
    limiter = RateLimiter(limit=30, window=60)
    decisions = [limiter._check_memory(limiter_key := "k", now=100 + i) for i in range(30)]
    assert all(d.allowed for d in decisions)
    refused = limiter._check_memory(limiter_key, now=131)
    assert not refused.allowed and refused.notify and 28 < refused.retry_after <= 30
    again = limiter._check_memory(limiter_key, now=132)
    assert not again.allowed and not again.notify  # told once per window
    assert limiter._check_memory(limiter_key, now=160.5).allowed  # the oldest left the window


def test_senders_and_channels_are_counted_apart():
    limiter = RateLimiter(limit=2, window=60)

    async def run():
        results = []
        for channel, sender in [
            ("rest", "a"),
            ("rest", "a"),
            ("rest", "a"),
            ("rest", "b"),
            ("twilio", "a"),
        ]:
            results.append((await limiter.check(channel, sender)).allowed)
        return results

    assert asyncio.run(run()) == [True, True, False, True, True]


def test_zero_turns_it_off(monkeypatch):
    monkeypatch.setenv("RATE_LIMIT_PER_MINUTE", "0")
    limiter = RateLimiter.from_env()
    assert all(asyncio.run(limiter.check("rest", "a")).allowed for _ in range(100))


def test_memory_stays_bounded():
    limiter = RateLimiter(limit=5, window=60, max_senders=100)
    for i in range(1000):
        limiter._check_memory(f"s{i}", now=float(i))
    assert len(limiter._hits) <= 100


def test_servers_sharing_redis_share_the_count(redis_server):
    import redis

    async def run():
        one = RateLimiter(limit=30, window=60, redis_url=redis_server.url)
        two = RateLimiter(limit=30, window=60, redis_url=redis_server.url)
        try:
            decisions = [
                await (one if i % 2 else two).check("rest", "+15550104477") for i in range(32)
            ]
        finally:
            await one.close()
            await two.close()
        return decisions

    decisions = asyncio.run(run())
    assert [d.allowed for d in decisions] == [True] * 30 + [False, False]
    assert [d.notify for d in decisions[30:]] == [True, False]
    keys = [k.decode() for k in redis.Redis.from_url(redis_server.url).keys("*")]
    assert keys and all(k.startswith(KEY_PREFIX) for k in keys)
    assert not any("15550104477" in k for k in keys)  # hashed, no phone number in Redis


def test_redis_down_lets_messages_through():
    limiter = RateLimiter(limit=1, window=60, redis_url="redis://127.0.0.1:9/0")

    async def run():
        return [(await limiter.check("rest", "a")).allowed for _ in range(3)]

    assert asyncio.run(run()) == [True, True, True]


def test_one_address_cycling_sender_ids_is_still_slowed_down(monkeypatch):
    import addons.server.rate_limit as rate_limit

    monkeypatch.setenv("RATE_LIMIT_PER_MINUTE", "3")
    monkeypatch.setenv("RATE_LIMIT_PER_ADDRESS_PER_MINUTE", "5")
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setattr(rate_limit, "_shared", {})

    async def run():
        fresh_ids = [
            (await rate_limit.check_message("rest", f"rest:sender-{i}", "203.0.113.9")).allowed
            for i in range(8)
        ]
        other_address = await rate_limit.check_message("rest", "rest:x", "198.51.100.1")
        same_sender = [
            (await rate_limit.check_message("webchat", "web:s", "198.51.100.2")).allowed
            for _ in range(4)
        ]
        return fresh_ids, other_address.allowed, same_sender

    fresh_ids, other_address, same_sender = asyncio.run(run())
    assert fresh_ids == [True] * 5 + [False] * 3  # a new sender id each time: 5, then refused
    assert other_address  # another client is not affected
    assert same_sender == [True, True, True, False]  # the per-sender limit still applies
