"""Patch 9 of `addons.rasa_compat`: Sanic answers malformed requests with 400, not 500.

Sanic 21.12 (Rasa 3.6's web server) parses the Accept header whenever it renders an
error page, and raises on one that is not `type/subtype` ("x", "*", "text/html;q=x").
Any error answer (a 404, a 405, a 413) then became "An error occurred while
handling an error", a 500 (found by the hostile-input suite). `install()` makes
`Request.accept` answer an empty list for such a header, as for a missing one.

Sanic also reads a request body's length with `int(headers["content-length"])` when
the body is not chunked: `Transfer-Encoding: identity` without a Content-Length
(KeyError) or a Content-Length that is not a number (ValueError) became a 500.
`install()` turns those into Sanic's own "Bad Request" (400).
"""

from __future__ import annotations

from typing import Any, Optional

import sanic.http as sanic_http
from sanic.exceptions import InvalidHeader, InvalidUsage
from sanic.headers import AcceptContainer
from sanic.http import Http
from sanic.request import Request
from sanic.touchup import TouchUp

_original: Optional[property] = None
_original_header: Any = None


def _accept(request: Any) -> AcceptContainer:
    assert _original is not None and _original.fget is not None
    try:
        return _original.fget(request)  # type: ignore[no-any-return]
    except (ValueError, InvalidHeader):  # what Sanic's parser raises for a bad media type
        request.parsed_accept = AcceptContainer()
        return request.parsed_accept


# Sanic's TouchUp recompiles `Http.http1_request_header` from its source in the
# globals of `sanic.http` when the server starts (it strips the dispatch of signals
# nobody listens to: left in, they fail every request). So the original is kept on
# a holder class that TouchUp also touches, and the wrapper names only what
# `sanic.http` holds.
HOLDER_NAME = "_PulpcareOriginalHttp"


async def http1_request_header(self):  # type: ignore[no-untyped-def]  # no annotations:
    # TouchUp compiles this source without this module's imports
    try:
        await _PulpcareOriginalHttp.http1_request_header(self)  # type: ignore[name-defined]  # noqa: F821
    except (KeyError, ValueError):
        raise InvalidUsage("Bad Request") from None


def install() -> None:
    global _original, _original_header
    if _original is None:
        _original = Request.accept  # type: ignore[assignment]
        Request.accept = property(_accept)  # type: ignore[assignment, method-assign]
        _original_header = Http.http1_request_header
        holder = type(HOLDER_NAME, (), {"http1_request_header": _original_header})
        holder.__module__ = "sanic.http"  # TouchUp compiles it in sanic.http's globals
        setattr(sanic_http, HOLDER_NAME, holder)
        TouchUp.register(holder, "http1_request_header")
        Http.http1_request_header = http1_request_header  # type: ignore[method-assign]


def uninstall() -> None:
    global _original, _original_header
    if _original is not None:
        Request.accept = _original  # type: ignore[method-assign]
        Http.http1_request_header = _original_header  # type: ignore[method-assign]
        _original, _original_header = None, None


def is_installed() -> bool:
    return _original is not None
