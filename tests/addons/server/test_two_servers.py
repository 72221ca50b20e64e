"""Two Rasa servers sharing real PostgreSQL (tracker store) and Redis (lock store,
rate limit): one conversation's messages alternate between them, context is kept
and no turn is lost or doubled, even when messages arrive at the same time."""

import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from addons.server import replies
from tests.helpers.live_servers import (
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
from tests.helpers.tracker_seed import stored_events

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def cluster(postgres, redis_server, tmp_path_factory):
    logs = tmp_path_factory.mktemp("cluster")
    database = postgres.new_database(f"cluster_{uuid.uuid4().hex[:8]}")
    actions = action_server(logs)
    env = base_env(
        ACTION_SERVER_URL=f"http://127.0.0.1:{actions.port}/webhook",
        DATABASE_URL=database,
        REDIS_URL=redis_server.url,
    )
    servers = [rasa_server(logs, env), rasa_server(logs, env)]
    try:
        actions.start()
        for server in servers:
            server.start()
        wait_http(f"{actions.base}/health", actions)
        for server in servers:
            wait_rasa(server)
        yield servers, database
    finally:
        stop_all(*servers, actions)


def turns_of(events):
    """[(user text, [actions], bots)] from stored events, in order."""
    turns = []
    for event in events:
        if event["type"] == "user":
            turns.append([event["data"]["text"], [], 0])
        elif turns and event["type"] == "action" and event["action"] != "action_listen":
            turns[-1][1].append(event["action"])
        elif turns and event["type"] == "bot":
            turns[-1][2] += 1
    return turns


def test_both_servers_use_postgres_and_redis(cluster):
    servers, _ = cluster
    for server in servers:
        log = server.log.read_text()
        assert "Conversations are stored in postgresql://" in log
        assert "Conversation locks are kept in Redis" in log


def test_alternating_servers_keep_the_context(cluster):
    (a, b), database = cluster
    parent = "parent-alternating"
    script = [
        (a, "the dentist said my son needs a pulpotamy, what does that mean?", "pulpotomy"),
        (b, "will it hurt?", "a pulpotomy"),
        (a, "and the other one?", "pulpectomy"),
        (b, "how long is recovery?", "x-ray"),
        (a, "thanks", "welcome"),
        (b, "will it hurt?", "a pulpectomy"),
    ]
    for server, message, expected in script:
        answer = text_of(post(server.base, parent, message))
        assert expected in answer.lower(), (message, answer)

    turns = turns_of(stored_events(database)[f"rest:{parent}"])  # its REST conversation
    assert [t[0] for t in turns] == [message for _, message, _ in script]  # none lost or doubled
    assert all(t[1] == ["action_answer"] and t[2] == 1 for t in turns), turns


def test_simultaneous_messages_are_serialised_by_the_lock(cluster):
    (a, b), database = cluster
    parent = "parent-simultaneous"
    messages = [f"what is a pulpotomy? ({i})" for i in range(10)]

    def send(index):
        return text_of(post((a, b)[index % 2].base, parent, messages[index], timeout=120))

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(send, range(10)))
    assert all("pulpotomy" in answer.lower() for answer in answers), answers

    turns = turns_of(stored_events(database)[f"rest:{parent}"])  # its REST conversation
    assert sorted(t[0] for t in turns) == sorted(messages), turns  # each exactly once
    # each turn complete before the next began: one action and one answer per message
    assert all(t[1] == ["action_answer"] and t[2] == 1 for t in turns), turns


def test_rate_limit_is_shared_by_the_servers(cluster):
    (a, b), _ = cluster
    parent = "parent-flood"
    for i in range(30):
        assert replies.text(replies.RATE_LIMITED) not in text_of(
            post((a, b)[i % 2].base, parent, "hi")
        )
    for server in (a, b):
        status, headers, body = request(
            server.base,
            "/webhooks/rest/webhook",
            json.dumps({"sender": parent, "message": "hi"}).encode(),
        )
        assert text_of(json.loads(body)) == replies.text(replies.RATE_LIMITED)
        assert "Retry-After" in headers
