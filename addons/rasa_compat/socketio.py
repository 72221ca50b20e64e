"""Patch 5 of `addons.rasa_compat`: engine.io answers CORS for itself.

`rasa run --cors` installs Sanic-CORS, which would add a second
`Access-Control-Allow-Origin` header to engine.io's own answers (browsers refuse a
response with two). Sanic-CORS skips a request whose private per-request flag is
set; the web channel registers `leave_cors_to_engineio` for its Socket.IO path.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable

try:
    from sanic_cors.core import SANIC_CORS_EVALUATED
except ImportError:  # pragma: no cover - Sanic-CORS is a dependency of rasa
    SANIC_CORS_EVALUATED = "_sanic_cors_e"


def leave_cors_to_engineio(socketio_path: str) -> Callable[[Any], Awaitable[None]]:
    """A Sanic request middleware that keeps Sanic-CORS off engine.io's requests."""

    async def middleware(request: Any) -> None:
        if request.path.startswith(socketio_path):
            setattr(request.ctx, SANIC_CORS_EVALUATED, "1")

    return middleware
