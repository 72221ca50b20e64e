"""Shared fixtures: knowledge, domain, tracker factory, dispatcher, spaCy pipeline."""

import os
from typing import Any, Dict, List, Optional

import pytest
import yaml

from common.paths import PROJECT_ROOT

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

ROOT = PROJECT_ROOT

pytest_plugins = ["tests.helpers.widget_fixtures"]

# Fixtures that start real servers or services: a test using one is not a unit test.
SERVER_FIXTURES = {
    "servers",
    "answers",
    "browser",
    "open_page",
    "stack",
    "rest_server",
    "api_server",
    "cluster",
    "chat",
    "sms",
    "parent",
}
SERVICE_FIXTURES = {"postgres", "redis_server", "two_servers", "db_url"}


def pytest_collection_modifyitems(config, items):
    """Marks by what a test needs, so `make test-fast` (not e2e, services or slow)
    never starts a server: e2e for real Rasa/action servers, services for
    PostgreSQL or Redis."""
    for item in items:
        needs = set(getattr(item, "fixturenames", ()))
        if needs & SERVER_FIXTURES:
            item.add_marker(pytest.mark.e2e)
        if needs & SERVICE_FIXTURES or "postgresql" in item.name:
            item.add_marker(pytest.mark.services)


@pytest.fixture(autouse=True)
def settings_follow_the_environment(monkeypatch):
    """The settings are read once per process (`common.settings.current()`); a test
    that changes the environment with `monkeypatch` gets them read again, as a
    server started with that environment would."""
    from common import settings

    def again(method):
        def changed(*args, **kwargs):
            method(*args, **kwargs)
            settings.reset()

        return changed

    settings.reset()
    monkeypatch.setenv = again(monkeypatch.setenv)
    monkeypatch.delenv = again(monkeypatch.delenv)
    yield
    monkeypatch.undo()
    settings.reset()


SPACY_MODEL = ROOT / "build" / "spacy_en_pulpcare"
TRAINED_MODEL = ROOT / "models" / "pulpcare.tar.gz"


@pytest.fixture(scope="session")
def knowledge():
    from knowledge import load_knowledge

    return load_knowledge(practice_file=ROOT / "practice.yml")


@pytest.fixture(scope="session")
def domain() -> Dict[str, Any]:
    return yaml.safe_load((ROOT / "domain.yml").read_text())


@pytest.fixture
def dispatcher():
    from rasa_sdk.executor import CollectingDispatcher

    return CollectingDispatcher()


@pytest.fixture
def make_tracker():
    """Builds a rasa_sdk Tracker whose latest message has the given intent."""
    from rasa_sdk import Tracker

    def build(
        intent: str,
        entities: Optional[List[Dict]] = None,
        slots: Optional[Dict[str, Any]] = None,
        text: str = "",
    ) -> Tracker:
        latest = {
            "text": text,
            "intent": {"name": intent, "confidence": 1.0},
            "entities": entities or [],
        }
        return Tracker(
            sender_id="test-parent",
            slots=dict(slots or {}),
            latest_message=latest,
            events=[{"event": "user", "text": text, "parse_data": latest}],
            paused=False,
            followup_action=None,
            active_loop={},
            latest_action_name="action_listen",
        )

    return build


@pytest.fixture(scope="session")
def nlp():
    import spacy

    if not SPACY_MODEL.exists():
        pytest.fail(f"{SPACY_MODEL} is missing: run `make setup` first")
    return spacy.load(SPACY_MODEL)


@pytest.fixture(scope="session")
def readability():
    """textstat, set up offline by the knowledge module (one grade for tests and loader)."""
    from knowledge.readability import _textstat

    return _textstat()


# --- real PostgreSQL and Redis (tests/live_services.py) -----------------------------


def _service_unavailable(reason: str):
    """Skips with the reason, or fails in CI (CI=true), where they must run."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL/Redis needed in CI: {reason}")
    pytest.skip(f"PostgreSQL/Redis not available here: {reason}")


@pytest.fixture(scope="session")
def postgres():
    """A real PostgreSQL server on loopback (temp data folder), for the session."""
    from tests.helpers.live_services import Postgres, Unavailable, ensure_installed

    try:
        ensure_installed()
        server = Postgres().start()
    except Unavailable as error:
        _service_unavailable(str(error))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_server():
    """A real Redis server on loopback (no persistence, password set), for the session."""
    from tests.helpers.live_services import Redis, Unavailable, ensure_installed

    try:
        ensure_installed()
        server = Redis().start()
    except Unavailable as error:
        _service_unavailable(str(error))
    yield server
    server.stop()
