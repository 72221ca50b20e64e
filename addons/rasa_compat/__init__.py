"""Every override of Rasa 3.6 internals, in one place, installed by one `install()`.

The run command (`python -m addons.server.serve`) calls `install()` before Rasa
starts; nothing here is patched as a side effect of an import. `install()` first
refuses a Rasa version the patches were not tested with (`RasaVersionError`,
one line), then replaces what must be replaced. Upgrading Rasa means: read each
patch below against the new Rasa source, run its test, then add the version to
`TESTED_RASA_VERSIONS`.

The patches (all written against Rasa 3.6.21):

1. `action_call.ResilientRemoteAction` replaces `rasa.core.actions.action.RemoteAction`
   (monkeypatched by `install()`, one of the global replacements with patches 9 and 10).
   - Rasa 3.6 checks every action-server reply with `jsonschema.validate`, which
     re-checks the schema itself against the meta-schema on each call: about half
     of the Rasa server's CPU per message (py-spy). Here a validator compiled once.
   - Rasa sends the whole conversation (and the domain) on every call, so the
     request grows with the conversation; here the current turn's events only
     (a request at turn 200 is the size of one at turn 2; Rasa's is >10 times larger).
   - Rasa drops the turn (silence for the parent) when the action server is down
     or slow, after a 5-minute timeout; here `ACTION_TIMEOUT_SECONDS` and the
     "can't look that up" reply (`addons.server.fallback`).
   Tests: `tests/addons/rasa_compat/test_action_call.py`,
   `tests/addons/server/test_action_fallback.py`.
2. `sql_events.event_row` copies the row format of `SQLTrackerStore.save`, so the
   tracker store's fast path (`addons.server.stores`) writes rows identical to
   Rasa's without re-reading the session (Rasa re-reads and rebuilds every event of
   the session per message). Test: `tests/addons/server/test_tracker_cache.py`
   (`test_rows_written_are_rasas_own_and_reads_come_back_equal`).
3. `sql_events.events_table` copies the schema of `SQLTrackerStore.SQLEvent` for
   the staff commands that read and delete conversations without loading Rasa's
   store (retention, review). Tests: `tests/addons/staff/test_retention_command.py`,
   `tests/addons/staff/test_review_report.py`, `tests/addons/rasa_compat/test_compat.py`.
4. `redis_lock.lock_mutex` builds a per-conversation Redis mutex from
   `RedisLockStore`'s `red` and `key_prefix`: Rasa 3.6 reads and writes a
   conversation's ticket lock with separate GET and SET calls, so two servers could
   take the same ticket (one turn lost, about 1 run in 4 of the two-server test) or
   wait 60 s for a stale one. Tests: `tests/addons/server/test_lock_store.py`,
   `tests/addons/server/test_two_servers.py`.
5. `socketio.leave_cors_to_engineio` sets Sanic-CORS's private per-request flag so
   that `rasa run --cors` adds no second `Access-Control-Allow-Origin` header to
   engine.io's answers (browsers refuse a response with two). Test:
   `tests/addons/channels/test_webchat.py::test_http_cors_only_for_the_practice_origins`.
6. The web channel's `session_request` handler (`addons.channels.webchat`) awaits
   `sio.enter_room`, which Rasa 3.6's handler calls without awaiting since
   python-socketio 5.18 made it a coroutine (persistent sessions never joined
   their room). It is a handler of our channel, not a patch of Rasa's, and stays
   there. Test: `tests/widget/test_widget_browser.py` (every answer reaches the page).
8. `sql_session.session_scope` replaces `SQLTrackerStore.session_scope` (through
   `addons.server.stores.EnvSQLTrackerStore`): Rasa's exits the process on any
   `ValueError` inside a database session, taking it for a missing PostgreSQL
   schema; a lone surrogate in one REST sender (a `UnicodeEncodeError`) stopped
   the server. Test: `tests/addons/channels/test_hostile_inputs.py`
   (`test_a_lone_surrogate_in_the_rest_sender_does_not_stop_the_server`),
   `tests/addons/rasa_compat/test_compat.py`.
9. `sanic_request` (Sanic 21.12, the server Rasa 3.6 runs on): `Request.accept`
   answers an empty list for a malformed Accept header instead of raising, which
   turned every error page asked for with one into a 500; a body length Sanic
   cannot read (`Transfer-Encoding: identity` without Content-Length, a Content-
   Length that is not a number) is a 400 instead of a 500. Tests:
   `tests/addons/rasa_compat/test_compat.py`, `tests/addons/channels/test_hostile_inputs.py`
   (`test_a_malformed_accept_header_is_not_a_500`,
   `test_transfer_encoding_identity_is_not_a_500`).
7. `addons.nlu.components.InputGuard` is registered as a `MESSAGE_FEATURIZER`
   although it only cleans text: Rasa's default recipe runs featurizers before
   tokenizers only when registered so, and the guard must see the raw text first.
   It stays in `addons/nlu/` because the trained model is built from it (moving
   it here would make every server change retrain). Test:
   `tests/addons/nlu/test_input_checks.py`.
10. `conversation_ids` (installed by `install()`: it wraps `rasa.server.create_app`):
   Rasa's HTTP API routes on the raw URL path, so `/conversations/%2B15551234567/...`
   reached a conversation named `%2B15551234567` and a check-in with
   `output_channel=twilio` was silently not texted (200). A request middleware on
   Rasa's app gives every `/conversations/<conversation_id>/...` route the decoded id,
   an SMS one normalised to `sms:+E164` and checked (400 with the reason otherwise),
   and refuses to "send" by SMS while the SMS channel is off (503), both only to a
   caller Rasa's own authentication lets in. Test:
   `tests/addons/rasa_compat/test_conversation_ids.py`.
"""

from __future__ import annotations

from typing import Optional, Tuple

TESTED_RASA_VERSIONS: Tuple[str, ...] = ("3.6.21",)


class RasaVersionError(RuntimeError):
    """The installed Rasa is not a version these patches were tested with."""


def check_version(version: Optional[str] = None) -> None:
    if version is None:
        import rasa

        version = rasa.__version__
    if version not in TESTED_RASA_VERSIONS:
        raise RasaVersionError(
            f"Rasa {version} is installed, but addons/rasa_compat was tested with Rasa "
            f"{', '.join(TESTED_RASA_VERSIONS)} only: check each patch listed in "
            "addons/rasa_compat/__init__.py against it first"
        )


def install() -> None:
    """Checks the Rasa version, then installs the patches (idempotent)."""
    check_version()
    from addons.rasa_compat import action_call, conversation_ids, sanic_request

    action_call.install()
    sanic_request.install()
    conversation_ids.install()


def uninstall() -> None:
    from addons.rasa_compat import action_call, conversation_ids, sanic_request

    action_call.uninstall()
    sanic_request.uninstall()
    conversation_ids.uninstall()


def is_installed() -> bool:
    from addons.rasa_compat import action_call, conversation_ids, sanic_request

    return (
        action_call.is_installed()
        and sanic_request.is_installed()
        and conversation_ids.is_installed()
    )
