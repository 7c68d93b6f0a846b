"""How a resolver resolves: directory, DNS, timeouts, cache lifetimes, dev options."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

__all__ = ["DEFAULT_PLC_URL", "HandleMethod", "ResolverOptions", "parse_nameserver"]

DEFAULT_PLC_URL = "https://plc.directory"
HandleMethod = Literal["dns", "https"]


@dataclass(frozen=True, kw_only=True)
class ResolverOptions:
    plc_url: str = DEFAULT_PLC_URL
    """The PLC directory that serves ``did:plc`` documents."""
    timeout: float = 10.0
    """Seconds for each DNS lookup and each HTTP request (whole answer, not per read)."""
    nameservers: tuple[str, ...] = ()
    """DNS servers to ask (``"1.1.1.1"``, ``"127.0.0.1:5353"``, ``"[::1]:53"``); empty: the
    system's configuration."""
    dns_port: int = 53
    """The port for nameservers given without one."""
    handle_methods: tuple[HandleMethod, ...] = ("dns", "https")
    """How handles resolve, in order: DNS TXT ``_atproto.<handle>`` then HTTPS well-known. A DNS
    answer wins over HTTPS (the spec's rule for conflicting answers)."""
    ttl: float = 3600.0
    """Seconds a resolution is fresh."""
    miss_ttl: float = 300.0
    """Seconds a failure (not found, deactivated, malformed) is remembered."""
    stale_while_revalidate: float = 82800.0
    """Seconds after ``ttl`` a stale entry is still served while it is refreshed in the
    background (default: up to a day old in total)."""
    allow_insecure_loopback: bool = False
    """TESTING / DEVELOPMENT ONLY: resolve ``did:web`` of ``localhost`` / ``127.0.0.1`` / ``::1``
    (with a port) over plain ``http://``. Off by default; never enable it in production."""

    def __post_init__(self) -> None:
        if not self.timeout > 0:
            raise ValueError(f"timeout must be positive, got {self.timeout!r}")
        for name in ("ttl", "miss_ttl", "stale_while_revalidate"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        parts = urlsplit(self.plc_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"plc_url must be an http(s) URL, got {self.plc_url!r}")
        if not self.handle_methods or set(self.handle_methods) - {"dns", "https"}:
            raise ValueError(
                f"handle_methods must name 'dns' and/or 'https', got {self.handle_methods!r}"
            )
        if not 0 < self.dns_port < 65536:
            raise ValueError(f"dns_port {self.dns_port} is out of range")
        for server in self.nameservers:
            parse_nameserver(server, self.dns_port)


def parse_nameserver(text: str, default_port: int = 53) -> tuple[str, int]:
    """``127.0.0.1``, ``127.0.0.1:5353``, ``::1`` or ``[::1]:5353`` -> ``(address, port)``."""
    host, port_text = text, ""
    if text.startswith("["):
        host, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise ValueError(f"nameserver {text!r} is not ADDRESS or ADDRESS:PORT")
        port_text = rest[1:]
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    if not host or (port_text and not port_text.isdigit()):
        raise ValueError(f"nameserver {text!r} is not ADDRESS or ADDRESS:PORT")
    port = int(port_text) if port_text else default_port
    if not 0 < port < 65536:
        raise ValueError(f"nameserver {text!r}: port {port} is out of range")
    return host, port
