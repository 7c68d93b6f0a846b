"""Password sessions: a port of ``@atproto/lex-password-session`` (sync and async).

``PasswordSession`` / ``AsyncPasswordSession`` are agents for ``Client`` / ``AsyncClient``;
``SessionData`` is what to persist (the TypeScript package's JSON shape).
"""

from atlex.session._async import AsyncDataHook, AsyncFailureHook, AsyncPasswordSession
from atlex.session._data import SessionData, SessionDataError
from atlex.session._machine import LoggedOutError, SessionHookError
from atlex.session._routing import extract_pds_endpoint
from atlex.session._sync import DataHook, FailureHook, PasswordSession

__all__ = [
    "AsyncDataHook",
    "AsyncFailureHook",
    "AsyncPasswordSession",
    "DataHook",
    "FailureHook",
    "LoggedOutError",
    "PasswordSession",
    "SessionData",
    "SessionDataError",
    "SessionHookError",
    "extract_pds_endpoint",
]
