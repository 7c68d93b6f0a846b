"""Argument handling shared by the sync and async sessions (validation with clear errors)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, cast

from atlex.session._routing import LoginUrl, check_service, parse_login_url

__all__ = ["account_body", "discovery_identifier", "header_list", "login_credentials"]

DEFAULT_TIMEOUT = 30.0
"""Seconds per request of a session's own httpx client (``XrpcRequest.timeout`` overrides)."""


def login_credentials(
    url: str | None, service: str | None, identifier: str | None, password: str | None
) -> LoginUrl:
    """Either the ``https://identifier:password@host`` form or the three keywords, not both."""
    if url is not None:
        if service is not None or identifier is not None or password is not None:
            raise TypeError(
                "login() takes either a login URL or service=, identifier= and password=, not both"
            )
        if not isinstance(url, str):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise TypeError(f"login URL must be a string, got {type(url).__name__}")
        return parse_login_url(url)
    missing = [
        name
        for name, value in (
            ("service", service),
            ("identifier", identifier),
            ("password", password),
        )
        if value is None
    ]
    if missing:
        raise TypeError(f"login() is missing {', '.join(missing)}")
    assert identifier is not None and password is not None
    for name, value in (("identifier", identifier), ("password", password)):
        if not isinstance(value, str) or not value:  # pyright: ignore[reportUnnecessaryIsInstance]
            raise TypeError(f"login() {name} must be a non-empty string")
    return LoginUrl(check_service(service), identifier, password)


def discovery_identifier(
    url: str | None, service: str | None, identifier: str | None
) -> str | None:
    """The handle or DID whose PDS ``login()`` looks up first (``service`` left out), else None.

    An email cannot be resolved: it still needs ``service``.
    """
    if url is not None or service is not None or not isinstance(identifier, str):
        return None
    if "@" in identifier.removeprefix("@"):
        return None
    return identifier


def account_body(
    *,
    handle: str,
    email: str | None,
    password: str | None,
    invite_code: str | None,
    did: str | None,
    recovery_key: str | None,
    verification_code: str | None,
    verification_phone: str | None,
    plc_op: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The createAccount input body; absent keys are left out, as JSON.stringify drops them."""
    if not isinstance(handle, str) or not handle:  # pyright: ignore[reportUnnecessaryIsInstance]
        raise TypeError("create_account() handle must be a non-empty string")
    fields: dict[str, Any] = {
        "email": email,
        "handle": handle,
        "did": did,
        "inviteCode": invite_code,
        "verificationCode": verification_code,
        "verificationPhone": verification_phone,
        "password": password,
        "recoveryKey": recovery_key,
        "plcOp": plc_op,
    }
    return {key: value for key, value in fields.items() if value is not None}


def header_list(
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None,
) -> list[tuple[str, str]]:
    """Extra createAccount headers as pairs (e.g. the service-auth ``authorization`` that an
    account migration needs)."""
    if headers is None:
        return []
    pairs: Iterable[tuple[str, str]] = (
        cast("Mapping[str, str]", headers).items() if isinstance(headers, Mapping) else headers
    )
    return [(str(name), str(value)) for name, value in pairs]
