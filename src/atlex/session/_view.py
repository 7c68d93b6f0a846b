"""What a session agent shows of itself, written once for the password and OAuth sessions (sync
and async): its current data, DID, whether it has ended, and a repr without secrets."""

from __future__ import annotations

from typing import Any, ClassVar, Generic, Protocol, TypeVar

from atlex.session._chain import ChainCore, LoggedOutError

__all__ = ["SessionView"]


class _HasDid(Protocol):
    @property
    def did(self) -> str: ...


D = TypeVar("D", bound=_HasDid)


class SessionView(Generic[D]):
    """The state properties and ``__repr__`` of a session over a :class:`ChainCore`."""

    _core: ChainCore[Any, D]
    _shown: ClassVar[tuple[str, ...]] = ("did",)
    """The data fields ``repr`` shows: never a token."""

    @property
    def session(self) -> D:
        """The current data; raises :class:`LoggedOutError` once the session has ended."""
        data = self._core.data
        if data is None:
            raise LoggedOutError()
        return data

    @property
    def did(self) -> str:
        """The account's DID; raises :class:`LoggedOutError` once the session has ended."""
        return self.session.did

    @property
    def destroyed(self) -> bool:
        """True once logged out or ended by the server."""
        return self._core.data is None

    def __repr__(self) -> str:
        name = type(self).__name__
        data = self._core.data
        if data is None:
            return f"{name}(logged out)"
        shown = ", ".join(f"{field}={getattr(data, field)!r}" for field in self._shown)
        return f"{name}({shown})"
