"""When the action server is down or slow, the parent still gets an answer.

Rasa's `RemoteAction` raises when the action server cannot be reached or
answers with an error, and the processor then logs the exception and drops the
turn: the parent gets silence. Its timeout is also five minutes.

`ResilientRemoteAction` is a `RemoteAction` that
* gives up after `ACTION_TIMEOUT_SECONDS` (default 10 s), and
* on a timeout, a refused connection or a server error, answers with the
  `action_unavailable` reply ("Sorry, I can't look that up right now. Please
  call {phone}.") instead of raising; a red-flag message still gets its safety
  answer (911 / call the practice now), built from the same knowledge files. The turn is recorded normally (the
  action, then the bot message), so the next message is handled as usual and
  the conversation carries on once the action server is back.

A rejection by the action server (`ActionExecutionRejection`, HTTP 400) is not
a fault and still goes to Rasa's own handling.

It is also cheaper per call than Rasa's (see README, "Performance"):
* the action server's reply is checked against Rasa's response schema with a
  validator compiled once; Rasa 3.6 calls `jsonschema.validate`, which
  re-checks the schema itself against the JSON-Schema meta-schema on every call
  and took about half of the Rasa server's CPU time per message;
* the request carries the events of the current turn only (from the latest user
  message on), not the whole conversation: the slots, `latest_message` and
  the input channel, which is what the actions read, are sent as before, so
  the payload no longer grows with the length of the conversation. The domain
  is not sent either (`enable_selective_domain: true` in `endpoints.yml`).

`install()` makes Rasa build this class wherever it builds a `RemoteAction`
for a custom action (`rasa.core.actions.action.action_for_name_or_text`); it is
called when any channel of ours is loaded (`addons/channels/__init__.py`) and by
the run command (`addons/serve.py`).
"""
from __future__ import annotations

import asyncio
import functools
import logging
import os
from typing import Any, List, Optional, Text

import rasa
from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions import action as rasa_action
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction, create_bot_utterance
from rasa.shared.core.events import Event, UserUttered
from rasa.shared.core.trackers import EventVerbosity

from addons.events import since_last

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 10.0
RED_FLAG_INTENT = "report_red_flag"


def action_timeout() -> float:
    raw = os.environ.get("ACTION_TIMEOUT_SECONDS", "").strip()
    try:
        value = float(raw) if raw else DEFAULT_TIMEOUT_SECONDS
    except ValueError:
        logger.warning("ACTION_TIMEOUT_SECONDS=%r is not a number; using %s s", raw,
                       DEFAULT_TIMEOUT_SECONDS)
        value = DEFAULT_TIMEOUT_SECONDS
    return value if value > 0 else DEFAULT_TIMEOUT_SECONDS


def _is_sms(output_channel: Any) -> bool:
    try:
        name = str(output_channel.name()).lower()
    except Exception:
        return False
    return "sms" in name or "twilio" in name


@functools.lru_cache(maxsize=None)
def response_validator() -> Any:
    """Rasa's action-response schema, compiled once (raises jsonschema's ValidationError)."""
    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


class ResilientRemoteAction(RemoteAction):
    """A custom action call that degrades to a helpful reply instead of silence."""

    def _action_call_format(self, tracker: Any, domain: Any) -> Any:
        """Rasa's request body, with the current turn's events (from the latest user
        message on) instead of all of them."""
        state = tracker.current_state(EventVerbosity.NONE)
        state["events"] = [event.as_dict() for event in since_last(tracker.events, UserUttered)]
        body = {"next_action": self._name, "sender_id": tracker.sender_id, "tracker": state,
                "version": rasa.__version__}
        if not self._is_selective_domain_enabled() \
                or domain.does_custom_action_explicitly_need_domain(self.name()):
            body["domain"] = domain.as_dict()
        return body

    def _validate_action_result(self, result: Any) -> bool:
        try:
            response_validator().validate(result)
            return True
        except ValidationError as error:
            error.message += (". Failed to validate Action server response from API, make sure "
                              "your response from the Action endpoint is valid.")
            raise

    async def run(self, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> List[Event]:
        timeout = action_timeout()
        try:
            return await asyncio.wait_for(
                super().run(output_channel, nlg, tracker, domain), timeout=timeout)
        except ActionExecutionRejection:
            raise
        except asyncio.CancelledError:
            raise
        except asyncio.TimeoutError:
            logger.error("custom action '%s': no answer from the action server within %.0f s",
                         self.name(), timeout)
        except Exception as error:
            cause = error.__cause__ or error.__context__
            logger.error("custom action '%s' failed: %s%s", self.name(), error,
                         f" ({type(cause).__name__})" if cause else "")
        return unavailable_events(output_channel, tracker)


def _red_flag_severity(tracker: Any) -> Optional[str]:
    """The red flag of the message being answered, if it is one ("urgent" by default)."""
    latest = getattr(tracker, "latest_message", None)
    parse = getattr(latest, "parse_data", None) or {}
    intent = (parse.get("intent") or {}).get("name")
    severities = [e.get("value") for e in parse.get("entities") or [] if e.get("entity") == "red_flag"]
    if intent != RED_FLAG_INTENT and not severities:
        return None
    return severities[0] if severities else "urgent"


def unavailable_events(output_channel: Any = None, tracker: Any = None) -> List[Event]:
    """What to say when the action server cannot answer, as bot events.

    A red flag still gets its safety answer (911 / call now), which the Rasa
    server can build itself from the knowledge module; anything else gets the
    `action_unavailable` reply. SMS channels get the SMS wording."""
    from addons import replies

    sms = _is_sms(output_channel)
    try:
        severity = _red_flag_severity(tracker)
        if severity:
            knowledge = replies.knowledge()
            reply = knowledge.reply(knowledge.red_flag_topic(severity))
            text = reply.sms if sms else reply.long_text
        else:
            text = replies.text(replies.ACTION_UNAVAILABLE, sms=sms)
    except Exception:  # the content cannot load either: still say something useful
        logger.exception("could not load the reply for an unavailable action server")
        text = ("Sorry, I can't look that up right now. Please call the office. "
                "If your child has trouble breathing or swallowing, call 911.")
    return [create_bot_utterance({"text": text})]


_original: Optional[type] = None


def install() -> None:
    """Makes Rasa use `ResilientRemoteAction` for custom actions (idempotent)."""
    global _original
    if rasa_action.RemoteAction is ResilientRemoteAction:
        return
    _original = rasa_action.RemoteAction
    rasa_action.RemoteAction = ResilientRemoteAction  # type: ignore[misc]
    # Load the reply now, so a broken content file shows at start-up, not mid-outage.
    try:
        from addons import replies

        replies.text(replies.ACTION_UNAVAILABLE)
    except Exception as error:
        logger.error("the action_unavailable reply cannot be loaded: %s", error)


def uninstall() -> None:
    global _original
    if _original is not None:
        rasa_action.RemoteAction = _original  # type: ignore[misc]
        _original = None


def is_installed() -> bool:
    return rasa_action.RemoteAction is ResilientRemoteAction


__all__: List[Text] = ["ResilientRemoteAction", "install", "uninstall", "unavailable_events",
                       "action_timeout", "is_installed"]
