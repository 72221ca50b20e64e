"""Fixtures for the SMS channel: a fake Twilio REST API, fresh phone numbers."""

import random

import pytest

from tests.helpers.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio


@pytest.fixture(autouse=True)
def fresh_rate_limit(monkeypatch):
    """Each test starts with an empty per-sender rate limit (in memory, default 30/min)."""
    import addons.server.rate_limit

    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("RATE_LIMIT_PER_MINUTE", raising=False)
    monkeypatch.setattr(addons.server.rate_limit, "_shared", {})


@pytest.fixture(autouse=True)
def own_tracker_database(monkeypatch, tmp_path):
    """The SMS state is on the tracker database: each test gets its own SQLite file,
    never the developer's (servers started by a test get their own in their env)."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("TRACKER_SQLITE_PATH", str(tmp_path / "tracker.db"))


@pytest.fixture
def fake_twilio():
    fake = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN).start()
    yield fake
    fake.stop()


@pytest.fixture
def new_phone():
    """A fresh US 555 number per call, so conversations never mix."""

    def make() -> str:
        return "+1555" + "".join(random.choice("0123456789") for _ in range(7))

    return make
