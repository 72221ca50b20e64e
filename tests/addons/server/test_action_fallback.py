"""The action server killed, or hanging, mid-conversation: the parent gets the
"can't look that up" answer with the phone number, and the conversation carries
on with its context once the action server is back."""

import time

import pytest

from addons.rasa_compat.action_call import ResilientRemoteAction, install, is_installed, uninstall
from addons.server import replies
from tests.helpers.live_servers import (
    PHONE,
    UNAVAILABLE,
    action_server,
    base_env,
    post,
    rasa_server,
    stop_all,
    text_of,
    wait_http,
    wait_rasa,
)

pytestmark = pytest.mark.e2e
TIMEOUT = 3


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    logs = tmp_path_factory.mktemp("fallback")
    actions = action_server(logs)
    rasa = rasa_server(
        logs,
        base_env(
            ACTION_SERVER_URL=f"http://127.0.0.1:{actions.port}/webhook",
            TRACKER_SQLITE_PATH=str(logs / "tracker.db"),
            ACTION_TIMEOUT_SECONDS=str(TIMEOUT),
        ),
    )
    try:
        actions.start()
        rasa.start()
        wait_http(f"{actions.base}/health", actions)
        wait_rasa(rasa)
        yield rasa, actions, logs
    finally:
        stop_all(rasa, actions)


def say(rasa, sender, message):
    return text_of(post(rasa.base, sender, message))


def restart(actions):
    actions.start()
    wait_http(f"{actions.base}/health", actions)


def test_action_server_killed_then_back(stack):
    rasa, actions, _ = stack
    parent = "parent-outage"
    assert (
        "pulpotomy"
        in say(
            rasa, parent, "the dentist said my son needs a pulpotamy, what does that mean?"
        ).lower()
    )

    actions.kill()
    answer = say(rasa, parent, "will it hurt?")
    assert answer == replies.text(replies.ACTION_UNAVAILABLE)
    assert UNAVAILABLE in answer and PHONE in answer
    # every message keeps getting an answer while it is down
    assert UNAVAILABLE in say(rasa, parent, "how long is recovery?")

    restart(actions)
    answer = say(rasa, parent, "will it hurt?")
    assert UNAVAILABLE not in answer
    assert "a pulpotomy" in answer.lower()  # the context survived the outage
    assert "pulpectomy" in say(rasa, parent, "and the other one?").lower()


def test_action_server_too_slow(stack):
    rasa, actions, _ = stack
    parent = "parent-slow"
    assert "pulpotomy" in say(rasa, parent, "what is a pulpotomy").lower()
    actions.pause()  # accepts connections, never answers
    try:
        started = time.monotonic()
        answer = say(rasa, parent, "will it hurt?")
        waited = time.monotonic() - started
    finally:
        actions.resume()
    assert UNAVAILABLE in answer and PHONE in answer
    assert TIMEOUT - 0.5 <= waited < TIMEOUT + 5
    assert "pulpotomy" in say(rasa, parent, "will it hurt?").lower()


def test_red_flags_are_still_answered_when_the_action_server_is_down(stack):
    rasa, actions, _ = stack
    actions.kill()
    try:
        answer = say(rasa, "parent-red", "his face is swollen and he has a fever")
        assert UNAVAILABLE not in answer and PHONE in answer and "now" in answer
        answer = say(rasa, "parent-red", "now he is having trouble breathing")
        assert "911" in answer  # the safety answer, built without the action server
    finally:
        restart(actions)


def test_install_is_idempotent_and_reversible():
    from rasa.core.actions import action

    install()
    install()
    assert is_installed() and action.RemoteAction is ResilientRemoteAction
    uninstall()
    assert action.RemoteAction is not ResilientRemoteAction
    install()
