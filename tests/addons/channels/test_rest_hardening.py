"""The REST webhook: malformed requests get 400 (never 500), long messages and
senders over the rate limit get a polite reply, the HTTP API is off by default
and cross-origin calls are allowed only from the practice's own sites."""

import json

import pytest

from addons.channels.rest import BadRequest, TooLarge, parse_body
from addons.server import replies
from common.practice import allowed_origins, load_practice
from tests.helpers.live_servers import (
    PHONE,
    action_server,
    base_env,
    post,
    rasa_server,
    request,
    stop_all,
    text_of,
    wait_http,
    wait_rasa,
)

WEBHOOK = "/webhooks/rest/webhook"


@pytest.mark.parametrize(
    "body",
    [
        None,
        b"",
        b"not json",
        b"\xff\xfe\x00",
        b"[1, 2]",
        b'"text"',
        b"null",
        b"{}",
        b'{"message": "hi"}',
        b'{"sender": "", "message": "hi"}',
        b'{"sender": 12, "message": "hi"}',
        b'{"sender": ["a"], "message": "hi"}',
        b'{"sender": "a"}',
        b'{"sender": "a", "message": null}',
        b'{"sender": "a", "message": 5}',
        b'{"sender": "a", "message": {"x": 1}}',
        b'{"sender": "a", "message": "hi", "metadata": [1]}',
        b'{"sender": "a\\u0000b", "message": "hi"}',
        json.dumps({"sender": "s" * 200, "message": "hi"}).encode(),
    ],
)
def test_malformed_bodies_are_bad_requests(body):
    with pytest.raises(BadRequest) as error:
        parse_body(body)
    assert error.value.status == 400


def test_oversized_body_is_413_and_good_bodies_parse():
    with pytest.raises(TooLarge):
        parse_body(json.dumps({"sender": "a", "message": "x" * 70000}).encode())
    assert parse_body(b'{"sender": "a", "message": "", "metadata": {"k": 1}}') == (
        "a",
        "",
        {"k": 1},
    )


@pytest.fixture(scope="module")
def rest_server(tmp_path_factory):
    logs = tmp_path_factory.mktemp("rest")
    actions = action_server(logs)
    rasa = rasa_server(
        logs,
        base_env(
            ACTION_SERVER_URL=f"http://127.0.0.1:{actions.port}/webhook",
            TRACKER_SQLITE_PATH=str(logs / "tracker.db"),
        ),
    )
    try:
        actions.start()
        rasa.start()
        wait_http(f"{actions.base}/health", actions)
        wait_rasa(rasa)
        yield rasa
    finally:
        stop_all(rasa, actions)


BAD_REQUESTS = [
    (b"not json", "not valid JSON"),
    (b"\xff\xfe", "not UTF-8"),
    (b"[]", "JSON object"),
    (b'{"sender": 1, "message": "hi"}', "'sender' must be a string"),
    (b'{"sender": "a", "message": ["hi"]}', "'message' must be a string"),
    (b'{"message": "hi"}', "'sender' is missing"),
    (b'{"sender": "a"}', "'message' is missing"),
    (b'{"sender": "a", "message": "hi", "metadata": "x"}', "'metadata' must be a JSON object"),
    (b"", "empty body"),
]


@pytest.mark.e2e
@pytest.mark.parametrize("body, why", BAD_REQUESTS)
def test_server_answers_malformed_requests_with_400(rest_server, body, why):
    status, _, answer = request(rest_server.base, WEBHOOK, body)
    assert status == 400
    assert why in json.loads(answer)["error"]


@pytest.mark.e2e
def test_server_never_answers_500(rest_server):
    values = [None, True, 0, -1.5, "", "x", [], ["x"], {}, {"a": 1}, "\u0000", "\U0001f9b7" * 3]
    statuses = set()
    for sender in values:
        for message in values:
            body = json.dumps({"sender": sender, "message": message}).encode()
            statuses.add(request(rest_server.base, WEBHOOK, body)[0])
    for body in (
        b"{",
        b'{"sender": "a", "message": "hi"',
        b"\x00" * 10,
        b"1e999999",
        b'{"sender": "a", "message": "hi", "stream": 1}',
    ):
        statuses.add(request(rest_server.base, WEBHOOK, body)[0])
    statuses.add(request(rest_server.base, WEBHOOK, method="GET")[0])
    statuses.add(request(rest_server.base, WEBHOOK, b"x" * (70 * 1024))[0])
    assert statuses <= {200, 400, 405, 413}
    assert 400 in statuses and 413 in statuses


@pytest.mark.e2e
def test_a_message_over_the_length_limit_gets_a_polite_reply(rest_server):
    replies_ = post(rest_server.base, "long-writer", "my son " * 1000)
    assert text_of(replies_) == replies.text(replies.TOO_LONG)
    assert "too long" in text_of(replies_) and PHONE in text_of(replies_)
    # a normal message from the same parent is answered as usual
    assert "automated assistant" in text_of(post(rest_server.base, "long-writer", "hi"))


@pytest.mark.e2e
def test_rate_limit_30_a_minute_answered_politely(rest_server):
    for i in range(30):
        answer = text_of(post(rest_server.base, "busy-parent", "what is a pulpotomy"))
        assert "pulpotomy" in answer.lower(), f"message {i + 1}: {answer}"
    status, headers, body = request(
        rest_server.base, WEBHOOK, json.dumps({"sender": "busy-parent", "message": "hi"}).encode()
    )
    assert status == 200
    assert text_of(json.loads(body)) == replies.text(replies.RATE_LIMITED)
    assert "wait a minute" in text_of(json.loads(body)) and PHONE in text_of(json.loads(body))
    assert 0 < int(headers["Retry-After"]) <= 60
    # another parent is not affected
    assert "automated assistant" in text_of(post(rest_server.base, "calm-parent", "hi"))


@pytest.mark.e2e
def test_streaming_still_works_for_rasa_shell(rest_server):
    status, _, body = request(
        rest_server.base,
        WEBHOOK + "?stream=true",
        json.dumps({"sender": "shell-user", "message": "hi"}).encode(),
    )
    assert status == 200
    lines = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
    assert any("automated assistant" in (m.get("text") or "") for m in lines)


@pytest.mark.e2e
def test_http_api_is_off_by_default(rest_server):
    for path in ("/status", "/conversations/busy-parent/tracker", "/model/parse"):
        status, _, _ = request(rest_server.base, path, method="GET")
        assert status in (404, 405), path


@pytest.mark.e2e
def test_cross_origin_only_from_the_practice_sites(rest_server):
    allowed = allowed_origins(load_practice())
    assert allowed, "practice.yml lists no allowed_origins"
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    status, headers, _ = request(
        rest_server.base, WEBHOOK, method="OPTIONS", headers={"Origin": allowed[0], **preflight}
    )
    assert headers.get("Access-Control-Allow-Origin") == allowed[0]
    for origin in ("https://evil.example", "null"):
        _, headers, _ = request(
            rest_server.base, WEBHOOK, method="OPTIONS", headers={"Origin": origin, **preflight}
        )
        assert headers.get("Access-Control-Allow-Origin") in (None, ""), origin
        _, headers, _ = request(
            rest_server.base,
            WEBHOOK,
            json.dumps({"sender": "o", "message": "hi"}).encode(),
            headers={"Origin": origin},
        )
        assert "Access-Control-Allow-Origin" not in headers
