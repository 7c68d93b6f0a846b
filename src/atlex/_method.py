"""What a generated call stub tells the runtime about one XRPC method."""

from __future__ import annotations

from typing import Literal

import msgspec

__all__ = ["Method", "Subscription"]


class Method(msgspec.Struct, frozen=True, kw_only=True):
    """Static description of a query or procedure, emitted by the generator (a msgspec
    Struct rather than a dataclass: hundreds are built when namespaces load).

    ``module`` is the dotted name of the generated type module. Depending on the flags it holds
    ``Params`` (a struct whose fields use wire names via rename), ``Input``, ``Output`` (a type:
    a struct, or an alias of one) and ``ERRORS`` (``dict[str, type[XrpcResponseError]]``, keyed by
    the lexicon error name). The runtime imports the module on first call only.
    """

    nsid: str
    kind: Literal["query", "procedure"]
    module: str
    params: bool = False
    """The module has ``Params``."""
    input: Literal["json", "binary"] | None = None
    """``json``: the module has ``Input``; ``binary``: raw body (bytes, file or iterator)."""
    input_encoding: str | None = None
    """The lexicon's input encoding (``application/json``, ``*/*``, ``video/mp4`` ...)."""
    output: Literal["json", "binary"] | None = None
    """``json``: decode JSON (into ``module.Output`` when ``output_schema``, else a dict);
    ``binary``: return the body bytes; None: no body is declared."""
    output_schema: bool = False
    output_encoding: str | None = None


class Subscription(msgspec.Struct, frozen=True, kw_only=True):
    """Static description of a ``subscription`` (an event stream), emitted by the generator.

    ``module`` holds ``NSID``, the ``Message`` union and ``ERRORS``; the runtime imports it when
    the stream is opened (:mod:`atlex.streams._open`)."""

    nsid: str
    module: str
