"""Everything a request handler needs, held on ``app.state.web``: no module-level globals."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from salesscope.auth.cookies import CookieCodec
from salesscope.auth.ratelimit import LoginLimiter
from salesscope.auth.users import UserStore
from salesscope.web.jobs import JobRunner
from salesscope.web.runtime import Runtime


@dataclass
class WebState:
    runtime: Runtime
    users: UserStore
    cookies: CookieCodec
    limiter: LoginLimiter
    jobs: JobRunner
    control_token: str | None = None
    """Token of the local control API (None: the API is off, as in in-process tests)."""
    secure_cookies: bool = False
    """Always mark cookies Secure (behind an HTTPS proxy that does not say so)."""


def web_state(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state
