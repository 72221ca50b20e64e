"""The command-line chat: `make shell` (or `python -m addons.shell --url ...`).

A client of the running assistant: it talks to the Rasa server through the
command-line channel (`addons/channels/shell.py`), so every message goes through
the checks, fallbacks and formatting a parent's message goes through. A channel
of its own inside Rasa's process (as Rasa's `rasa shell` is) would have to copy
them, and would not show what happens when the action server is down.

Typed text is always sent as typed; a number picks one of the numbered
suggestions (web) or is sent to the SMS channel, which reads it as a phone would.
Commands: /restart, /slots, /why, /help, /quit. Any other "/..." is a message
(a typed `/ask_pain` is read as words, as on every channel).

Piped (`echo "will it hurt" | make shell`) it answers each line and exits.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional

from addons.shell import render
from common.settings import SettingsError, current

COMMANDS = {
    "/restart": "start a new conversation",
    "/slots": "the procedure and last topic the assistant is tracking",
    "/why": "what it understood of your last message (intent, confidence, entities, red flags)",
    "/help": "this list",
    "/quit": "leave (Ctrl-D too)",
}


class Unavailable(RuntimeError):
    """The assistant could not be reached or refused the request."""


class Client:
    """POSTs a tester's message to the command-line channel."""

    def __init__(self, url: str, token: str, preview: str, timeout: float = 90) -> None:
        self.url = url.rstrip("/") + "/webhooks/shell/webhook"
        self.token = token
        self.preview = preview
        self.timeout = timeout
        self.sender = self.new_sender()

    @staticmethod
    def new_sender() -> str:
        return f"tester-{uuid.uuid4().hex[:12]}"

    def send(self, text: str) -> Dict[str, Any]:
        body = json.dumps({"sender": self.sender, "message": text, "preview": self.preview})
        request = urllib.request.Request(
            self.url,
            data=body.encode("utf-8"),
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return dict(json.loads(response.read()))
        except urllib.error.HTTPError as error:
            detail = error.read()[:300].decode("utf-8", "replace")
            raise Unavailable(f"the assistant answered {error.code}: {detail}") from None
        except OSError as error:
            raise Unavailable(f"the assistant at {self.url} cannot be reached ({error})") from None


class Chat:
    """One tester's session: what is typed, what is shown."""

    def __init__(self, client: Client, out: Any = sys.stdout, width: Optional[int] = None) -> None:
        self.client = client
        self.out = out
        self.width = width
        self.choices: List[render.Choice] = []
        self.last: Dict[str, Any] = {}

    def columns(self) -> int:
        return self.width or max(40, shutil.get_terminal_size((100, 24)).columns - 2)

    def show(self, lines: List[str]) -> None:
        self.out.write("\n".join(lines) + "\n")
        self.out.flush()

    def handle(self, typed: str) -> bool:
        """One line from the tester; False to leave."""
        command = typed.strip().lower()
        if command in ("/quit", "/exit"):
            return False
        if command == "/help":
            self.show([f"{render.INDENT}{name:9} {what}" for name, what in COMMANDS.items()])
        elif command == "/restart":
            self.client.sender = self.client.new_sender()
            self.choices, self.last = [], {}
            self.show([f"{render.INDENT}(a new conversation: {self.client.sender})"])
        elif command == "/slots":
            self.show(render.slots(self.last.get("slots")))
        elif command == "/why":
            self.show(render.why(self.last.get("understood")))
        else:
            self.say(typed)
        return True

    def say(self, typed: str) -> None:
        text = typed
        number = typed.strip()
        if self.client.preview == "web" and number.isdigit() and self.choices:
            index = int(number) - 1
            if 0 <= index < len(self.choices):
                choice = self.choices[index]
                self.show([f"{render.INDENT}> {choice.title}"])  # as the widget shows a tap
                text = choice.payload
        try:
            result = self.client.send(text)
        except Unavailable as error:
            self.show([f"{render.INDENT}(not sent: {error})"])
            return
        self.last = result
        if result.get("preview") == "sms":
            self.choices = []
            self.show(render.sms(result.get("sms") or [], self.columns()))
        else:
            lines, self.choices = render.web(result.get("messages") or [], self.columns())
            self.show(lines or [f"{render.INDENT}(no answer)"])


def _readline_history(history: Path) -> None:
    try:
        import atexit
        import readline
    except ImportError:  # no readline: plain input() still works
        return
    try:
        history.parent.mkdir(parents=True, exist_ok=True)
        if history.exists():
            readline.read_history_file(history)
        readline.set_history_length(1000)
        atexit.register(readline.write_history_file, history)
    except OSError:
        pass


def interactive(chat: Chat, history: Path) -> None:
    _readline_history(history)
    mode = "a phone's SMS" if chat.client.preview == "sms" else "the website chat"
    chat.show(
        [
            f"Command-line chat, showing what {mode} would show. "
            "Type a question; a number picks a suggestion.",
            "Commands: /restart /slots /why /help /quit",
        ]
    )
    while True:
        try:
            typed = input("you> ")
        except (EOFError, KeyboardInterrupt):
            chat.show([""])
            return
        if not typed.strip():
            continue
        if not chat.handle(typed):
            return


def piped(chat: Chat, lines: Any) -> None:
    for line in lines:
        typed = line.rstrip("\n")
        if not typed.strip():
            continue
        chat.show([f"you> {typed}"])
        if not chat.handle(typed):
            return


def main(argv: Optional[List[str]] = None) -> int:
    try:
        settings = current()
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=settings.shell_url)
    parser.add_argument(
        "--channel",
        choices=("web", "sms"),
        default=settings.shell_channel,
        help="preview what the website chat (web) or a phone (sms) would show",
    )
    parser.add_argument("--width", type=int, default=None, help="wrap width (default: terminal)")
    args = parser.parse_args(argv)
    token = settings.shell_token
    if not token:
        print("SHELL_TOKEN is not set: start the chat with `make shell`.", file=sys.stderr)
        return 2
    chat = Chat(Client(args.url, token, args.channel), width=args.width)
    if settings.shell_language == "es":
        # LANG=es_*: the conversation starts in Spanish, as a parent picking it would.
        chat.say("Español")
    if sys.stdin.isatty():
        interactive(chat, settings.shell_history)
    else:
        piped(chat, sys.stdin)
    return 0
