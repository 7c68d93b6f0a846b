"""Password sessions: a port of ``@atproto/lex-password-session`` 0.2.3 (sync and async).

``PasswordSession`` / ``AsyncPasswordSession`` are the agents of ``Client`` / ``AsyncClient``;
``SessionData`` is what to persist, in the TypeScript package's JSON shape::

    from atlex import Client, PasswordSession, SessionData

    def save(data: SessionData) -> None:
        path.write_text(data.to_json())          # holds the tokens: keep the file private

    with PasswordSession.login(service="https://bsky.social", identifier="alice.bsky.social",
                               password="app-password", on_updated=save) as session:
        client = Client(session)                 # refresh on expiry is transparent
        ...                                      # leaving the block logs out

    session = PasswordSession.resume(SessionData.from_json(path.read_text()), on_updated=save)
    session = PasswordSession.login("https://alice.bsky.social:app-password@bsky.social")

    try:
        PasswordSession.login(service=..., identifier=..., password=main_password)
    except LexAuthFactorError:                   # the server emailed a sign-in code
        PasswordSession.login(service=..., identifier=..., password=main_password,
                              auth_factor_token=input("code: "))

The async twin is the same with ``await`` and ``async with``; its hooks may be coroutines.
Once a session has ended (logout, or the server revoked it) every call raises
:class:`LoggedOutError`.
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
