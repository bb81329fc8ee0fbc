"""Request guards: token login, loopback host check, CSRF (double-submit cookie), safe headers."""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response

from cbeclab.errors import SpecError
from cbeclab.i18n import pgettext

__all__ = ["CSRF_COOKIE", "TOKEN_COOKIE", "check_host_allowed", "csrf_ok", "guard", "is_loopback"]

TOKEN_COOKIE = "cbeclab_token"
CSRF_COOKIE = "cbeclab_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
_LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1", "[::1]", "testserver")


def is_loopback(host: str) -> bool:
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_host_allowed(host: str, token: str | None) -> None:
    """Refuse to listen beyond loopback without a token (the server's start-up check)."""
    if not is_loopback(host) and not token:
        raise SpecError(
            pgettext(
                "web",
                "listening on {host} would expose the workbench to the network without a token",
                host=host,
            ),
            where="--host",
            fix=pgettext("web", "give --token T (or set CBECLAB_TOKEN), or listen on 127.0.0.1"),
        )


def _same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


def _header_token(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return request.headers.get("x-cbeclab-token")


def csrf_ok(request: Request, submitted: str | None) -> bool:
    """True when ``submitted`` (form field or header) equals the CSRF cookie."""
    return _same(submitted, request.cookies.get(CSRF_COOKIE))


def new_csrf() -> str:
    return secrets.token_urlsafe(32)


def guard(
    token: str | None,
) -> Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]:
    """The HTTP middleware: every request passes the host, token and (for API writes) CSRF checks."""

    async def middleware(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        path = request.url.path
        is_api = path.startswith("/api/")
        host = (
            (request.headers.get("host") or "").rsplit(":", 1)[0]
            if not (request.headers.get("host") or "").startswith("[")
            else (request.headers.get("host") or "").split("]")[0] + "]"
        )
        if not token and host not in _LOOPBACK_NAMES and not is_loopback(host):
            # no token means loopback only: a foreign Host header is a DNS-rebinding attempt
            return PlainTextResponse(pgettext("web", "This host name is not allowed."), status_code=421)
        header_tok = _header_token(request)
        if token:
            given = request.query_params.get("token")
            if given is not None and request.method == "GET" and not is_api:
                if not _same(given, token):
                    return PlainTextResponse(pgettext("web", "Wrong token."), status_code=401)
                rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
                resp = RedirectResponse(path + ("?" + urlencode(rest) if rest else ""), status_code=303)
                resp.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict")
                return resp
            if not (_same(header_tok, token) or _same(request.cookies.get(TOKEN_COOKIE), token)):
                if is_api:
                    return JSONResponse(
                        {"error": pgettext("web", "A token is required (header Authorization: Bearer T).")},
                        status_code=401,
                    )
                return PlainTextResponse(
                    pgettext(
                        "web",
                        "A token is required: open the address printed by cbeclab serve (it ends in ?token=...).",
                    ),
                    status_code=401,
                )
        if is_api and request.method not in SAFE_METHODS:
            authed_by_header = bool(token) and _same(header_tok, token)
            if not authed_by_header and not csrf_ok(request, request.headers.get(CSRF_HEADER)):
                return JSONResponse(
                    {
                        "error": pgettext(
                            "web",
                            "Missing or wrong CSRF token: send header X-CSRF-Token with the value of GET /api/csrf.",
                        )
                    },
                    status_code=403,
                )
        response = await call_next(request)
        if CSRF_COOKIE not in request.cookies:
            response.set_cookie(
                CSRF_COOKIE, getattr(request.state, "csrf", None) or new_csrf(), samesite="strict"
            )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    return middleware
