"""Rasa's HTTP API: off unless asked for; the run command refuses to start it
without a secret; with one, requests without the token or JWT are rejected and
the secret never shows on a command line."""

import json
import subprocess
import sys
import time
from pathlib import Path

import jwt
import pytest

from tests.helpers.live_servers import (
    MODEL,
    ROOT,
    Server,
    base_env,
    free_port,
    request,
    stop_all,
    wait_rasa,
)

TOKEN = "tok-" + "a1b2c3d4e5f6a7b8c9d0"
JWT_SECRET = "jwt-" + "f0e1d2c3b4a5968778695a4b"


def run(command, env, timeout=120):
    started = time.monotonic()
    result = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    return result, time.monotonic() - started


@pytest.mark.parametrize(
    "command",
    [
        ["bash", "scripts/run.sh", "run"],
        [sys.executable, "-m", "addons.server.serve", "-m", str(MODEL), "--port", "1"],
    ],
)
def test_api_asked_for_without_a_secret_is_refused(command):
    result, took = run(command, base_env(RASA_ENABLE_API="true", ACTIONS_PORT="1", RASA_PORT="1"))
    assert result.returncode != 0
    assert "RASA_AUTH_TOKEN" in result.stderr and "RASA_JWT_SECRET" in result.stderr
    assert "Traceback" not in result.stderr
    assert took < 30  # refused before the action server or the model is started


def test_enable_api_flag_without_a_secret_and_a_short_secret_are_refused():
    serve = [sys.executable, "-m", "addons.server.serve", "--check", "--interface", "127.0.0.1"]
    result, _ = run(serve + ["--enable-api"], base_env())
    assert result.returncode == 2 and "no secret" in result.stderr
    result, _ = run(serve, base_env(RASA_AUTH_TOKEN="short"))
    assert result.returncode == 2 and "RASA_AUTH_TOKEN" in result.stderr and "16" in result.stderr
    result, _ = run(serve, base_env(TRACKER_SQLITE_PATH="/tmp/pulpcare-api-check.db"))
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def api_server(tmp_path_factory):
    """The run command (`scripts/run.sh rasa`) with the API on, token and JWT secret set."""
    logs = tmp_path_factory.mktemp("api")
    port = free_port()
    env = base_env(
        RASA_AUTH_TOKEN=TOKEN,
        RASA_JWT_SECRET=JWT_SECRET,
        RASA_PORT=str(port),
        ACTION_SERVER_URL=f"http://127.0.0.1:{free_port()}/webhook",
        TRACKER_SQLITE_PATH=str(logs / "tracker.db"),
    )
    for twilio in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_NUMBER"):
        env.pop(twilio, None)  # the SMS channel is off on this server
    server = Server("run.sh", ["bash", "scripts/run.sh", "rasa"], env, logs / "run.log", port)
    try:
        server.start()
        wait_rasa(server)
        yield server
    finally:
        stop_all(server)


def bearer(payload, secret=JWT_SECRET):
    return {"Authorization": "Bearer " + jwt.encode(payload, secret, algorithm="HS256")}


@pytest.mark.e2e
def test_requests_without_a_valid_token_are_rejected(api_server):
    base = api_server.base
    assert request(base, "/status", method="GET")[0] == 401
    assert request(base, "/status?token=wrong-token-0000000000", method="GET")[0] == 401
    assert request(base, "/conversations/someone/tracker", method="GET")[0] == 401
    assert (
        request(
            base,
            "/status",
            method="GET",
            headers=bearer({"user": {"username": "x", "role": "admin"}}, "not-the-secret"),
        )[0]
        == 401
    )
    status, _, body = request(base, f"/status?token={TOKEN}", method="GET")
    assert status == 200 and b"model_file" in body
    admin = bearer({"user": {"username": "staff", "role": "admin"}})
    assert request(base, "/conversations/someone/tracker", method="GET", headers=admin)[0] == 200
    # a JWT for one parent cannot read another parent's conversation
    parent = bearer({"user": {"username": "parent-a", "role": "user"}})
    assert request(base, "/conversations/parent-a/tracker", method="GET", headers=parent)[0] == 200
    assert request(base, "/conversations/parent-b/tracker", method="GET", headers=parent)[0] == 403


@pytest.mark.e2e
def test_the_secrets_are_not_on_any_command_line(api_server):
    lines = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if f"--port {api_server.port}" in text:
            lines.append(text)
    assert lines, "the server's process was not found"
    assert not any(TOKEN in line or JWT_SECRET in line for line in lines)


@pytest.mark.e2e
def test_a_check_in_by_sms_while_the_sms_channel_is_off_is_refused_with_the_reason(api_server):
    """Rasa would collect the messages and answer 200 with nothing sent
    (addons/rasa_compat/conversation_ids.py)."""
    base = api_server.base
    body = json.dumps({"name": "EXTERNAL_followup", "entities": {"procedure": "pulpotomy"}})
    path = "/conversations/%2B15550107788/trigger_intent?output_channel=twilio"
    status, _, answer = request(base, f"{path}&token={TOKEN}", body.encode())
    assert status == 503, answer
    reason = json.loads(answer)["reason"]
    assert "SMS channel is off" in reason and "TWILIO_ACCOUNT_SID" in reason
    assert "nothing was sent" in reason
    assert request(base, path, body.encode())[0] == 401  # the token is checked first
    # Events whose side effects would be texted: the same; without side effects, stored.
    events = json.dumps([{"event": "bot", "text": "Hi"}]).encode()
    events_path = (
        f"/conversations/%2B15550107799/tracker/events?output_channel=twilio&token={TOKEN}"
    )
    assert request(base, events_path + "&execute_side_effects=true", events)[0] == 503
    assert request(base, events_path, events)[0] == 200
    # Reading the conversation needs no SMS channel: the id is decoded, nothing was stored.
    status, _, tracker = request(
        base, f"/conversations/%2B15550107788/tracker?token={TOKEN}", method="GET"
    )
    assert status == 200 and json.loads(tracker)["sender_id"] == "sms:+15550107788"
    assert [e for e in json.loads(tracker)["events"] if e["event"] == "user"] == []
