"""``Client`` and ``AsyncClient``, the roots of the generated namespace tree.

``AsyncClient`` is written in :mod:`atlex._client_async`; ``Client`` in
:mod:`atlex._client_sync` is generated from it (``make unasync``, see ``tools/unasync.py``).
"""

from atlex._client_async import AsyncClient
from atlex._client_sync import Client

__all__ = ["AsyncClient", "Client"]
