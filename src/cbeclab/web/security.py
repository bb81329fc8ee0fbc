"""Request guards: token login, loopback host check, CSRF (double-submit cookie), safe headers."""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cbeclab.errors import SpecError
from cbeclab.i18n import pgettext

__all__ = ["CSRF_COOKIE", "TOKEN_COOKIE", "check_host_allowed", "csrf_ok", "Guard", "is_loopback"]

TOKEN_COOKIE = "cbeclab_token"
CSRF_COOKIE = "cbeclab_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
_SAFE_HEADERS = (
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "SAMEORIGIN"),
    ("referrer-policy", "no-referrer"),
)
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


class Guard:
    """Pure ASGI middleware: every HTTP request passes the host, token and (for API writes) CSRF
    checks; responses get the CSRF cookie (first visit) and safe headers. Unlike an ``@app.middleware``
    function it never re-streams the response body, so large cached results cost nothing extra."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})
        request = Request(scope)
        refused = self.check(request)
        if refused is not None:
            await refused(scope, receive, send)
            return
        need_cookie = CSRF_COOKIE not in request.cookies

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if need_cookie:
                    tok = scope["state"].get("csrf") or new_csrf()
                    headers.append("set-cookie", f"{CSRF_COOKIE}={tok}; Path=/; SameSite=strict")
                for k, v in _SAFE_HEADERS:
                    if k not in headers:
                        headers[k] = v
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def check(self, request: Request) -> Response | None:
        """The refusal for ``request``, or None when it may pass."""
        token = self.token
        path = request.url.path
        is_api = path.startswith("/api/")
        raw_host = request.headers.get("host") or ""
        host = raw_host.rsplit(":", 1)[0] if not raw_host.startswith("[") else raw_host.split("]")[0] + "]"
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
        return None
