"""The Rasa compatibility layer: one install(), a version check, nothing patched on import."""

import subprocess
import sys

import pytest

from addons import rasa_compat
from common.paths import PROJECT_ROOT


def test_an_untested_rasa_version_is_refused_with_one_line():
    with pytest.raises(rasa_compat.RasaVersionError) as error:
        rasa_compat.check_version("3.7.0")
    message = str(error.value)
    assert "Rasa 3.7.0" in message and "3.6.21" in message and "\n" not in message
    rasa_compat.check_version("3.6.21")


def test_the_installed_rasa_is_the_tested_one():
    import rasa

    assert rasa.__version__ in rasa_compat.TESTED_RASA_VERSIONS


@pytest.mark.slow  # imports Rasa in a fresh interpreter
def test_importing_the_channels_and_the_server_patches_nothing():
    code = (
        "import rasa.core.run\n"
        "import addons.channels.rest, addons.channels.webchat, addons.channels.sms.connector\n"
        "import addons.server.stores, addons.server.serve\n"
        "from rasa.core.actions import action\n"
        "print(action.RemoteAction.__module__)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "rasa.core.actions.action"


def test_install_replaces_remote_action_and_uninstall_restores_it():
    from rasa.core.actions import action

    original = action.RemoteAction
    rasa_compat.install()
    try:
        assert rasa_compat.is_installed() and action.RemoteAction is not original
    finally:
        rasa_compat.uninstall()
    assert action.RemoteAction is original


def test_the_events_table_copy_matches_rasas_own():
    from rasa.core.tracker_store import SQLTrackerStore

    from addons.rasa_compat.sql_events import events_table

    ours = {c.name: (str(c.type), c.nullable, c.primary_key) for c in events_table().columns}
    rasas = {
        c.name: (str(c.type), c.nullable, c.primary_key)
        for c in SQLTrackerStore.SQLEvent.__table__.columns
    }
    assert ours == rasas


def test_every_patch_names_its_test_and_the_tests_exist():
    import re

    doc = rasa_compat.__doc__ or ""
    paths = set(re.findall(r"`(tests/[\w/]+\.py)", doc))
    assert len(paths) >= 6
    missing = [p for p in paths if not (PROJECT_ROOT / p).exists()]
    assert not missing


def test_a_database_error_in_one_message_does_not_exit_the_server(tmp_path, monkeypatch):
    """Rasa's session_scope exits on any ValueError; ours lets it propagate."""
    import asyncio

    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from addons.server.stores import EnvSQLTrackerStore

    monkeypatch.setenv("TRACKER_SQLITE_PATH", str(tmp_path / "t.db"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    store = EnvSQLTrackerStore(Domain.empty())
    tracker = DialogueStateTracker.from_events("rest:a\udfffb", [UserUttered("hi")], [])
    with pytest.raises(ValueError):  # UnicodeEncodeError: an error, not SystemExit
        asyncio.run(store.save(tracker))
    ok = DialogueStateTracker.from_events("rest:fine", [UserUttered("hi")], [])
    asyncio.run(store.save(ok))  # the store still works
    assert asyncio.run(store.retrieve("rest:fine")) is not None


def test_a_malformed_accept_header_reads_as_none():
    from sanic.request import Request

    from addons.rasa_compat import sanic_request

    class Headers:
        def getone(self, name, default=""):
            return "text/html;q=x"

    class Fake:
        parsed_accept = None
        headers = Headers()

    with pytest.raises(ValueError):
        Request.accept.fget(Fake())  # Sanic's own raises
    sanic_request.install()
    try:
        assert list(Request.accept.fget(Fake())) == []
    finally:
        sanic_request.uninstall()
