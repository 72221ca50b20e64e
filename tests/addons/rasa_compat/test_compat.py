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
