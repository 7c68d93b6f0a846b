"""DNS TXT lookups through dnspython, imported lazily (it is the ``atlex[dns]`` extra).

Without dnspython a lookup answers ``no-dnspython``: handle resolution goes on with HTTPS and,
when that fails too, its error says to install ``atlex[dns]``.
"""

from __future__ import annotations

from typing import Any, cast

import anyio

from atlex.identity._core import TxtAnswer, TxtFailed
from atlex.identity._options import ResolverOptions, parse_nameserver

__all__ = ["AsyncTxtResolver", "TxtResolver"]

_NO_DNSPYTHON = TxtAnswer((), "no-dnspython")


def _configure(resolver: Any, options: ResolverOptions) -> Any:
    import dns.nameserver

    if options.nameservers:
        resolver.nameservers = [
            dns.nameserver.Do53Nameserver(host, port=port)
            for host, port in (parse_nameserver(s, options.dns_port) for s in options.nameservers)
        ]
    resolver.lifetime = options.timeout  # the whole lookup, retries included
    resolver.timeout = options.timeout
    return resolver


def _texts(answer: Any) -> TxtAnswer:
    texts: list[str] = []
    for rdata in answer:
        chunks = cast("tuple[bytes, ...]", rdata.strings)
        texts.append(b"".join(chunks).decode("utf-8", "replace"))
    return TxtAnswer(tuple(texts), "ok")


class TxtResolver:
    """Blocking TXT lookups (``dns.resolver``)."""

    def __init__(self, options: ResolverOptions) -> None:
        self._options = options
        self._resolver: Any = None

    def lookup(self, name: str) -> TxtAnswer:
        try:
            import dns.exception
            import dns.resolver
        except ImportError:
            return _NO_DNSPYTHON
        if self._resolver is None:
            configure = not self._options.nameservers
            self._resolver = _configure(dns.resolver.Resolver(configure=configure), self._options)
        try:
            answer = self._resolver.resolve(name, "TXT", search=False)
        except dns.resolver.NXDOMAIN:
            return TxtAnswer((), "nxdomain")
        except dns.resolver.NoAnswer:
            return TxtAnswer((), "nodata")
        except dns.exception.DNSException as exc:
            raise TxtFailed(str(exc) or type(exc).__name__) from None
        return _texts(answer)


class AsyncTxtResolver:
    """Non-blocking TXT lookups (``dns.asyncresolver``, asyncio or trio)."""

    def __init__(self, options: ResolverOptions) -> None:
        self._options = options
        self._resolver: Any = None

    async def lookup(self, name: str) -> TxtAnswer:
        try:
            import dns.asyncresolver
            import dns.exception
            import dns.resolver
        except ImportError:
            return _NO_DNSPYTHON
        if self._resolver is None:
            configure = not self._options.nameservers
            self._resolver = _configure(
                dns.asyncresolver.Resolver(configure=configure), self._options
            )
        try:
            with anyio.fail_after(self._options.timeout + 1):
                answer = await self._resolver.resolve(name, "TXT", search=False)
        except TimeoutError:
            raise TxtFailed(f"no answer within {self._options.timeout}s") from None
        except dns.resolver.NXDOMAIN:
            return TxtAnswer((), "nxdomain")
        except dns.resolver.NoAnswer:
            return TxtAnswer((), "nodata")
        except dns.exception.DNSException as exc:
            raise TxtFailed(str(exc) or type(exc).__name__) from None
        return _texts(answer)
