"""The staff console as a Rasa input channel: its pages on the Rasa server at /staff/.

Rasa 3.6 registers every input channel's blueprint on its Sanic app, under
`urljoin("/webhooks/", url_prefix())`; an absolute `url_prefix()` of "/staff" keeps
the console's routes at /staff/... This channel receives no parent messages: its
blueprint is the console (`web.py`), whose listeners open the tracker database
once the server has started. Listed in `credentials.yml` as
`addons.staff.console.channel.StaffConsoleInput`.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint

from addons.staff.console import web


class StaffConsoleInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "staff"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls()

    def url_prefix(self) -> Text:
        return web.PREFIX

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        return web.blueprint()
