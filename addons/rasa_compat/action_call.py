"""Patch 1 of `addons.rasa_compat`: the call to the action server (see the package docstring).

`ResilientRemoteAction` is Rasa's `RemoteAction` with
* the reply checked by Rasa's response schema compiled once (Rasa 3.6 re-checks the
  schema itself against the JSON-Schema meta-schema on every call: about half of
  the Rasa server's CPU per message);
* a request that carries the current turn's events only (from the latest user
  message on) with the slots, `latest_message` and the input channel, which is
  what the actions read; the domain is not sent (`enable_selective_domain`);
* a time limit (`ACTION_TIMEOUT_SECONDS`, default 10 s, instead of 5 minutes) and,
  on a timeout, a refused connection or a server error, the reply of
  `addons.server.fallback.unavailable_events` instead of silence. A rejection
  (`ActionExecutionRejection`) still goes to Rasa's own handling.

`install()` makes Rasa build this class wherever it builds a `RemoteAction` for a
custom action (`rasa.core.actions.action.action_for_name_or_text`).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any, List, Optional

import rasa
from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions import action as rasa_action
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.shared.core.events import Event, UserUttered
from rasa.shared.core.trackers import EventVerbosity

from addons.server.events import since_last
from addons.server.fallback import unavailable_events
from common.settings import current

logger = logging.getLogger(__name__)


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
        body = {
            "next_action": self._name,
            "sender_id": tracker.sender_id,
            "tracker": state,
            "version": rasa.__version__,
        }
        if (
            not self._is_selective_domain_enabled()
            or domain.does_custom_action_explicitly_need_domain(self.name())
        ):
            body["domain"] = domain.as_dict()
        return body

    def _validate_action_result(self, result: Any) -> bool:
        try:
            response_validator().validate(result)
            return True
        except ValidationError as error:
            error.message += (
                ". Failed to validate Action server response from API, make sure "
                "your response from the Action endpoint is valid."
            )
            raise

    async def run(self, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> List[Event]:
        timeout = current().action_timeout_seconds
        try:
            return await asyncio.wait_for(
                super().run(output_channel, nlg, tracker, domain), timeout=timeout
            )
        except ActionExecutionRejection:
            raise
        except asyncio.CancelledError:
            raise
        except asyncio.TimeoutError:
            logger.error(
                "custom action '%s': no answer from the action server within %.0f s",
                self.name(),
                timeout,
            )
        except Exception as error:
            cause = error.__cause__ or error.__context__
            logger.error(
                "custom action '%s' failed: %s%s",
                self.name(),
                error,
                f" ({type(cause).__name__})" if cause else "",
            )
        return unavailable_events(output_channel, tracker)


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
        from addons.server import replies

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
