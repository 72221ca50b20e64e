"""Starts the practice loop with the Rasa server.

Rasa 3.6 has no plug-in point for background work, but it registers every input
channel's blueprint on its Sanic app, listeners included: this "channel" receives
no parent messages; its blueprint starts the dispatcher (`dispatcher.py`) after
the server starts and stops it before the server stops, and answers
`GET /webhooks/practice/` with the loop's state (for operators and tests).
Listed in `credentials.yml` as `addons.practice.channel.PracticeLoopInput`.
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from addons.practice import dispatcher as loop
from common.settings import current

logger = logging.getLogger(__name__)


def build_jobs(context: loop.LoopContext) -> list:
    from addons.practice.alerts import AlertDeliveryJob
    from addons.practice.checkins import CheckinJob

    return [AlertDeliveryJob(context), CheckinJob(context)]


class PracticeLoopInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "practice"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hook = Blueprint("practice_loop", __name__)

        @hook.listener("after_server_start")
        async def start(app: Any, _loop: Any) -> None:
            from addons.practice import db

            try:
                db.engine()  # creates the tables if missing
            except Exception:
                logger.exception("practice loop: the database is not reachable; loop not started")
                return
            context = loop.LoopContext(app)
            dispatcher = loop.Dispatcher(build_jobs(context), current().dispatch_interval_seconds)
            loop.install(dispatcher)
            dispatcher.start()
            logger.info("practice loop started (alerts, scheduled check-ins)")

        @hook.listener("before_server_stop")
        async def stop(_app: Any, _loop: Any) -> None:
            dispatcher = loop.current()
            if dispatcher is not None:
                await dispatcher.stop()
                loop.install(None)

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            dispatcher = loop.current()
            return response.json(
                {
                    "status": "ok",
                    "running": dispatcher is not None,
                    "passes": dispatcher.passes if dispatcher else 0,
                }
            )

        return hook
