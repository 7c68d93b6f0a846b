"""The generated client shape: root namespaces as lazily loaded properties."""

from __future__ import annotations

import typing as _t

from atlex import _ns

if _t.TYPE_CHECKING:
    from .ns import AsyncTest, Test

_NS = f"{__name__.rpartition('.')[0]}.ns"


class Client(_ns.Client):
    @property
    def test(self) -> Test:
        return self._child(_NS, "Test")


class AsyncClient(_ns.AsyncClient):
    @property
    def test(self) -> AsyncTest:
        return self._child(_NS, "AsyncTest")
