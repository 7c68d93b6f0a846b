"""``OpenUnion`` / ``ClosedUnion``: how generated modules declare a union once, by name.

A generated module declares each union its fields use as a module-level alias::

    PostViewEmbed: _t.TypeAlias = _rt.OpenUnion[
        "_embed_images.View",
        "_embed_video.View",
        _rt.UnknownMember,
    ]

Type checkers read both as :data:`typing.Union` (so the alias is exactly the members, with
``UnknownMember``, a plain dict, for the open one). At run time the subscription builds a
``typing.Union`` of forward references bound to the declaring module, without importing the
members' modules: msgspec resolves them on first use, as it does quoted annotations. The open
form leaves ``UnknownMember`` out at run time: msgspec's tagged union cannot hold a dict, and the
tolerant decoder (:mod:`atlex._tolerant`) keeps unknown members as plain data instead.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, ForwardRef, Union

from atlex._model import UnknownMember

__all__ = ["ClosedUnion", "OpenUnion"]

if TYPE_CHECKING:
    from typing import Union as ClosedUnion
    from typing import Union as OpenUnion
else:

    class _Ref(ForwardRef, _root=True):
        """A forward reference that also joins ``|`` (``Alias | UnsetType`` in annotations)."""

        def __or__(self, other: Any) -> Any:
            return Union[self, other]  # noqa: UP007 (runtime objects)

        def __ror__(self, other: Any) -> Any:
            return Union[other, self]  # noqa: UP007 (runtime objects)

    def _union(members: Any, module: str | None) -> Any:
        if not isinstance(members, tuple):
            members = (members,)
        kept = tuple(
            _Ref(m, module=module) if isinstance(m, str) else m
            for m in members
            if m is not UnknownMember
        )
        return kept[0] if len(kept) == 1 else Union[kept]  # noqa: UP007 (runtime tuple)

    class ClosedUnion:
        """``ClosedUnion["A", "B"]``: the union of the named classes."""

        def __class_getitem__(cls, members: Any) -> Any:
            return _union(members, sys._getframe(1).f_globals.get("__name__"))

    class OpenUnion:
        """``OpenUnion["A", "B", UnknownMember]``: the union of the named classes; type
        checkers also see ``UnknownMember`` (a member this SDK does not know, kept as data)."""

        def __class_getitem__(cls, members: Any) -> Any:
            return _union(members, sys._getframe(1).f_globals.get("__name__"))
