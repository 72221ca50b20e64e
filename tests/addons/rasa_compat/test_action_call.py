"""What the Rasa server sends the action server, and how it checks the reply.

The request carries the slots, the latest message and the current turn's events,
so it does not grow with the conversation; the domain is not sent. A reply that
breaks Rasa's response format is still refused."""

import pytest
import yaml
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from addons.rasa_compat.action_call import ResilientRemoteAction

DOMAIN = Domain.load("domain.yml")


def endpoint():
    config = yaml.safe_load(open("endpoints.yml"))["action_endpoint"]
    return EndpointConfig.from_dict(config)


def long_conversation(turns):
    tracker = DialogueStateTracker("parent", DOMAIN.slots)
    tracker.update(ActionExecuted("action_listen"))
    for n in range(turns):
        tracker.update(
            UserUttered(
                f"question {n}", {"name": "ask_pain", "confidence": 0.9}, input_channel="rest"
            )
        )
        tracker.update(ActionExecuted("action_answer"))
        tracker.update(BotUttered(f"answer {n}"))
        tracker.update(SlotSet("procedure", "pulpectomy"))
        tracker.update(ActionExecuted("action_listen"))
    tracker.update(
        UserUttered("will it hurt", {"name": "ask_pain", "confidence": 0.9}, input_channel="twilio")
    )
    return tracker


def test_the_request_has_the_current_turn_and_state_but_not_the_history():
    body = ResilientRemoteAction("action_answer", endpoint())._action_call_format(
        long_conversation(40), DOMAIN
    )
    state = body["tracker"]
    assert [e["event"] for e in state["events"]] == ["user"]
    assert state["events"][0]["text"] == "will it hurt"
    assert state["slots"]["procedure"] == "pulpectomy"
    assert state["latest_message"]["intent"]["name"] == "ask_pain"
    assert state["latest_input_channel"] == "twilio"
    assert "domain" not in body  # enable_selective_domain in endpoints.yml
    assert body["next_action"] == "action_answer" and body["sender_id"] == "parent"


def test_same_size_on_turn_2_and_turn_200():
    action = ResilientRemoteAction("action_answer", endpoint())

    def size(turns):
        return len(str(action._action_call_format(long_conversation(turns), DOMAIN)))

    assert abs(size(200) - size(2)) < 50  # timestamps differ by a few digits
    rasa_size = len(
        str(
            RemoteAction("action_answer", endpoint())._action_call_format(
                long_conversation(200), DOMAIN
            )
        )
    )
    assert rasa_size > 10 * size(200)


def test_the_action_servers_reply_is_still_validated():
    action = ResilientRemoteAction("action_answer", endpoint())
    assert action._validate_action_result(
        {
            "events": [{"event": "slot", "name": "procedure", "value": "pulpotomy"}],
            "responses": [{"text": "hello"}],
        }
    )
    with pytest.raises(ValidationError):
        action._validate_action_result({"events": [{"no_event_key": 1}], "responses": []})
    with pytest.raises(ValidationError):
        action._validate_action_result({"events": [], "responses": "not a list"})
