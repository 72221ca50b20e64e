"""The widget's channel (addons/channels/webchat.py): units, then the real server
over HTTP and Socket.IO without a browser (origins, sessions, history, files)."""

import asyncio
import gzip
import json
import re
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from rasa.shared.core.events import ActionExecuted, BotUttered, Restarted, SlotSet, UserUttered

from addons.channels.origins import allowed_origins, normalize_origin
from addons.channels.webchat import history_messages, phone_href, same_origin, valid_session_id
from tests.helpers.live_servers import post

PAYLOAD = '/ask_topic{"topic":"crown"}'


# --- units ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value, expected",
    [
        ("http://localhost:5005", "http://localhost:5005"),
        ("https://Example.com/", "https://example.com"),
        ("https://example.com:443", "https://example.com"),
        ("http://example.com:8080", "http://example.com:8080"),
    ],
)
def test_origins_are_normalized_as_browsers_send_them(value, expected):
    assert normalize_origin(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "*",
        "https://*.example.com",
        "example.com",
        "ftp://example.com",
        "https://example.com/page",
        "https://example.com?x=1",
        "https://user@example.com",
        "",
    ],
)
def test_a_malformed_origin_stops_the_server(value):
    with pytest.raises(ValueError):
        normalize_origin(value)


def test_allowed_origins_come_from_the_practice_settings():
    assert allowed_origins({"allowed_origins": ["https://a.example", "https://a.example/"]}) == [
        "https://a.example"
    ]
    assert allowed_origins({}) == []


def test_same_origin_is_the_servers_own_host():
    assert same_origin("http://127.0.0.1:5005", {"HTTP_HOST": "127.0.0.1:5005"})
    assert not same_origin("http://evil.example", {"HTTP_HOST": "127.0.0.1:5005"})
    assert not same_origin(None, {"HTTP_HOST": "127.0.0.1:5005"})


def test_session_ids_are_32_hex_characters_only():
    assert valid_session_id("0123456789abcdef0123456789abcdef")
    for bad in ("+15551234567", "", None, "0123456789ABCDEF0123456789ABCDEF", "x" * 32, 42):
        assert not valid_session_id(bad)


def test_phone_link_prefers_the_e164_number():
    assert (
        phone_href({"phone": "(555) 010-0123", "phone_e164": "+15550100123"}) == "tel:+15550100123"
    )
    assert phone_href({"phone": "(555) 010-0123"}) == "tel:+15550100123"


def test_history_shows_button_titles_and_starts_after_a_restart():
    button = {"title": "Crowns", "payload": PAYLOAD}
    events = [
        UserUttered("old conversation"),
        BotUttered("old answer"),
        Restarted(),
        ActionExecuted("action_listen"),
        UserUttered("hi"),
        BotUttered("Hello!", data={"buttons": [button]}),
        SlotSet("procedure", "pulpotomy"),
        UserUttered(PAYLOAD),
        BotUttered("About crowns.\n\nSource: X", data={"buttons": [button]}),
    ]
    assert history_messages(events) == [
        {"sender": "user", "text": "hi"},
        {"sender": "bot", "text": "Hello!"},
        {"sender": "user", "text": "Crowns"},
        {"sender": "bot", "text": "About crowns.\n\nSource: X", "buttons": [button]},
    ]


# --- the real server over HTTP ---------------------------------------------------------
def fetch(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_demo_page_is_served_with_a_strict_policy(servers):
    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as moved:
        opener.open(f"{servers.base}/widget", timeout=30)
    assert moved.value.code == 301 and moved.value.headers["Location"] == "/widget/"
    status, headers, body = fetch(f"{servers.base}/widget/")
    assert status == 200
    csp = headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp
    page = body.decode()
    assert servers.practice["name"] in page and "{{" not in page
    assert '<script src="widget.js"' in page


def test_widget_files_only_from_the_build_folder(servers):
    for name in (
        "..%2Fspacy_en_pulpcare%2Fmeta.json",
        "..%2F..%2Fpractice.yml",
        ".hidden.js",
        "widget.js.map",
        "%2Fetc%2Fpasswd",
    ):
        status, _, _ = fetch(f"{servers.base}/widget/{name}")
        assert status == 404, name


def test_widget_payload_is_gzipped_and_within_budget(servers):
    total = 0
    for name in ("widget.js", "config.json"):
        status, headers, body = fetch(f"{servers.base}/widget/{name}", {"Accept-Encoding": "gzip"})
        assert status == 200 and headers["Content-Encoding"] == "gzip"
        assert headers["X-Content-Type-Options"] == "nosniff"
        gzip.decompress(body)
        total += len(body)
        again, _, _ = fetch(f"{servers.base}/widget/{name}", {"If-None-Match": headers["ETag"]})
        assert again == 304
    print(f"\nwidget payload over the wire: {total} bytes gzipped (widget.js + config.json)")
    assert total <= 60 * 1000


def test_settings_for_the_widget(servers, answers):
    _, _, body = fetch(f"{servers.base}/widget/config.json")
    config = json.loads(body)
    greet = answers.reply("greet")
    assert config["practice_name"] == servers.practice["name"]
    assert config["phone"] == servers.practice["phone"]
    assert config["phone_href"].startswith("tel:+")
    assert config["greeting"] == greet.long_text
    assert [(s["title"], s["payload"]) for s in config["suggestions"]] == list(greet.buttons)


def test_http_cors_only_for_the_practice_origins(servers, practice_site, other_site):
    url = f"{servers.base}/widget/config.json"
    _, headers, _ = fetch(url, {"Origin": practice_site.origin})
    assert headers.get_all("Access-Control-Allow-Origin") == [practice_site.origin]
    _, headers, _ = fetch(url, {"Origin": other_site.origin})
    assert headers.get("Access-Control-Allow-Origin") != other_site.origin


def test_socketio_refuses_other_origins(servers, practice_site, other_site):
    url = f"{servers.base}/socket.io/?EIO=4&transport=polling"
    status, headers, _ = fetch(url, {"Origin": other_site.origin})
    assert status == 400
    status, headers, _ = fetch(url, {"Origin": practice_site.origin})
    assert status == 200
    # exactly one header: two (engine.io's and Sanic-CORS's) would make browsers refuse it
    assert headers.get_all("Access-Control-Allow-Origin") == [practice_site.origin]
    status, headers, _ = fetch(url, {"Origin": servers.base})  # its own demo page
    assert status == 200


# --- the real server over Socket.IO -------------------------------------------------
class Client:
    """A Socket.IO client that collects what the server sends."""

    def __init__(self):
        import socketio

        self.sio = socketio.AsyncClient(reconnection=False)
        self.events = {
            name: asyncio.Queue() for name in ("session_confirm", "session_history", "bot_uttered")
        }
        for name, queue in self.events.items():
            self.sio.on(name, queue.put_nowait)

    async def connect(self, base):
        # long-polling: engine.io's websocket client needs a newer aiohttp than rasa pins
        await self.sio.connect(base, transports=["polling"], wait_timeout=30)
        return self

    async def next(self, name, timeout=60):
        return await asyncio.wait_for(self.events[name].get(), timeout)

    async def close(self):
        # abort: a polite close waits for the pending long-poll (up to 25 s)
        await self.sio.eio.disconnect(abort=True)

    async def session(self, session_id):
        await self.sio.emit("session_request", {"session_id": session_id})
        history = await self.next("session_history")
        return await self.next("session_confirm"), history


def test_sessions_cannot_name_other_conversations(servers, answers):
    rest_conversation = uuid.uuid4().hex  # a REST client's, with a hex sender id
    assert post(servers.base, rest_conversation, "what is a pulpotomy")

    async def scenario():
        client = await Client().connect(servers.base)
        try:
            # a phone number (an SMS conversation's id) is not accepted as a session
            confirmed, history = await client.session("+15551234567")
            assert re.fullmatch(r"[0-9a-f]{32}", confirmed) and history["messages"] == []
            # nor another channel's conversation: a fresh one, and nothing of it is shown
            other, history = await client.session(rest_conversation)
            assert other != rest_conversation and history["messages"] == []
            confirmed, _ = await client.session(confirmed)
            # a message for any other session than the confirmed one is ignored
            await client.sio.emit("user_uttered", {"message": "hi", "session_id": "f" * 32})
            with pytest.raises(asyncio.TimeoutError):
                await client.next("bot_uttered", timeout=5)
            await client.sio.emit("user_uttered", {"message": PAYLOAD, "session_id": confirmed})
            answer = await client.next("bot_uttered")
            assert "crown" in answer["text"].lower()
            assert answer["quick_replies"] and "\n\nSource" in answer["text"]  # one event
            # as on the REST channel: an over-long message is not processed
            await client.sio.emit("user_uttered", {"message": "x" * 6000, "session_id": confirmed})
            assert (await client.next("bot_uttered"))["text"] == answers.reply(
                "input_too_long"
            ).long_text
        finally:
            await client.close()

        # another socket that knows the id continues the conversation and sees it
        again = await Client().connect(servers.base)
        try:
            same, history = await again.session(confirmed)
            assert same == confirmed
            shown = [(m["sender"], m["text"]) for m in history["messages"]]
            assert shown == [("user", PAYLOAD), ("bot", answer["text"])]  # not the refused one
            assert history["messages"][-1]["buttons"] == [
                {"title": b["title"], "payload": b["payload"]} for b in answer["quick_replies"]
            ]
        finally:
            await again.close()

    # in a thread of its own: Playwright's sync API keeps an event loop in this one
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, scenario()).result()
