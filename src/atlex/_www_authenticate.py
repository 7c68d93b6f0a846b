"""The ``WWW-Authenticate`` header (RFC 9110 §11.6.1), parsed the way upstream
``www-authenticate.ts`` does; :class:`atlex.errors.XrpcAuthenticationError` exposes it (and
``atlex.errors`` re-exports :func:`parse_www_authenticate`). Import-light: only ``re``."""

from __future__ import annotations

import re

__all__ = ["parse_www_authenticate"]

_SPLIT_OUTSIDE_QUOTES = re.compile(r',(?=(?:[^"]*"[^"]*")*[^"]*$)')
_SCHEME = re.compile(r'^([^"=\s]+)(\s+.*)?$', re.DOTALL)
_PARAM = re.compile(r'^\s*([^"\s=]+)=(?:("[^"\\]*(?:\\.[^"\\]*)*")|([^\s,"]*))\s*$')
_ESCAPE = re.compile(r"\\(.)")


def parse_www_authenticate(header: str) -> dict[str, str | dict[str, str]] | None:
    """``Bearer realm="x", DPoP error="use_dpop_nonce"`` -> ``{"Bearer": {"realm": "x"}, ...}``.

    A scheme with a token68 maps to that string, a bare scheme to ``{}``. Returns None when the
    header is malformed (a duplicated scheme, a parameter without a scheme ...).
    """
    result: dict[str, str | dict[str, str]] = {}
    text = header.strip()
    if not text:
        return result
    current: dict[str, str] | None = None
    for raw_part in _SPLIT_OUTSIDE_QUOTES.split(text):
        part = raw_part
        scheme_match = _SCHEME.match(part.strip())
        if scheme_match:
            scheme = scheme_match.group(1)
            if scheme in result:
                return None
            rest = (scheme_match.group(2) or "").strip()
            if not rest:
                current = None
                result[scheme] = {}
                continue
            if "=" not in rest:
                current = None
                result[scheme] = rest
                continue
            current = {}
            result[scheme] = current
            part = rest
        if current is None:
            return None
        param = _PARAM.match(part)
        if param is None:
            return None
        quoted = param.group(2)
        value = param.group(3) if quoted is None else _ESCAPE.sub(r"\1", quoted[1:-1])
        current[param.group(1)] = value
    return result
