"""Namespaces shaped like the generated ones (sync and async twins)."""

from __future__ import annotations

import typing as _t

from msgspec import UNSET, UnsetType

from atlex import _ns

if _t.TYPE_CHECKING:
    from . import create_record as _create_record
    from . import get_timeline as _get_timeline
    from . import upload_blob as _upload_blob

_PKG = __name__.rpartition(".")[0]

_GET_TIMELINE = _ns.Method(
    nsid="test.feed.getTimeline",
    kind="query",
    module=f"{_PKG}.get_timeline",
    params=True,
    output="json",
    output_schema=True,
    output_encoding="application/json",
)
_CREATE_RECORD = _ns.Method(
    nsid="test.repo.createRecord",
    kind="procedure",
    module=f"{_PKG}.create_record",
    input="json",
    input_encoding="application/json",
    output="json",
    output_schema=True,
    output_encoding="application/json",
)
_UPLOAD_BLOB = _ns.Method(
    nsid="test.repo.uploadBlob",
    kind="procedure",
    module=f"{_PKG}.upload_blob",
    input="binary",
    input_encoding="*/*",
    output="json",
    output_schema=True,
    output_encoding="application/json",
)
_UPLOAD_VIDEO = _ns.Method(
    nsid="test.video.uploadVideo",
    kind="procedure",
    module=f"{_PKG}.no_io",
    input="binary",
    input_encoding="video/mp4",
)
_UPLOAD_IMAGE = _ns.Method(
    nsid="test.image.upload",
    kind="procedure",
    module=f"{_PKG}.no_io",
    input="binary",
    input_encoding="image/*",
)
_GET_BLOB = _ns.Method(
    nsid="test.sync.getBlob",
    kind="query",
    module=f"{_PKG}.get_blob",
    params=True,
    output="binary",
    output_encoding="*/*",
)
_DELETE_SESSION = _ns.Method(
    nsid="test.server.deleteSession", kind="procedure", module=f"{_PKG}.no_io"
)
_DESCRIBE = _ns.Method(
    nsid="test.server.describe",
    kind="query",
    module=f"{_PKG}.no_io",
    output="json",
    output_encoding="application/json",
)


class TestFeed(_ns.SyncNamespace):
    def get_timeline(
        self,
        *,
        algorithm: str | UnsetType = UNSET,
        limit: int = 50,
        cursor: str | UnsetType = UNSET,
        tags: list[str] | UnsetType = UNSET,
        include_pins: bool | UnsetType = UNSET,
        options: _ns.CallOptions | None = None,
    ) -> _get_timeline.Output:
        return self._call(
            _GET_TIMELINE,
            {
                "algorithm": algorithm,
                "limit": limit,
                "cursor": cursor,
                "tags": tags,
                "includePins": include_pins,
            },
            None,
            options,
        )


class AsyncTestFeed(_ns.AsyncNamespace):
    async def get_timeline(
        self,
        *,
        algorithm: str | UnsetType = UNSET,
        limit: int = 50,
        cursor: str | UnsetType = UNSET,
        tags: list[str] | UnsetType = UNSET,
        include_pins: bool | UnsetType = UNSET,
        options: _ns.CallOptions | None = None,
    ) -> _get_timeline.Output:
        return await self._call(
            _GET_TIMELINE,
            {
                "algorithm": algorithm,
                "limit": limit,
                "cursor": cursor,
                "tags": tags,
                "includePins": include_pins,
            },
            None,
            options,
        )


class TestRepo(_ns.SyncNamespace):
    def create_record(
        self,
        *,
        repo: str,
        collection: str,
        record: _t.Any,
        rkey: str | UnsetType = UNSET,
        validate_: bool | UnsetType = UNSET,
        swap_commit: str | UnsetType = UNSET,
        options: _ns.CallOptions | None = None,
    ) -> _create_record.Output:
        return self._call(
            _CREATE_RECORD,
            None,
            {
                "repo": repo,
                "collection": collection,
                "record": record,
                "rkey": rkey,
                "validate": validate_,
                "swapCommit": swap_commit,
            },
            options,
        )

    def upload_blob(
        self,
        data: _ns.BinaryInput,
        *,
        content_type: str | None = None,
        options: _ns.CallOptions | None = None,
    ) -> _upload_blob.Output:
        return self._call(_UPLOAD_BLOB, None, _ns.BinaryBody(data, content_type), options)


class AsyncTestRepo(_ns.AsyncNamespace):
    async def create_record(
        self,
        *,
        repo: str,
        collection: str,
        record: _t.Any,
        rkey: str | UnsetType = UNSET,
        validate_: bool | UnsetType = UNSET,
        swap_commit: str | UnsetType = UNSET,
        options: _ns.CallOptions | None = None,
    ) -> _create_record.Output:
        return await self._call(
            _CREATE_RECORD,
            None,
            {
                "repo": repo,
                "collection": collection,
                "record": record,
                "rkey": rkey,
                "validate": validate_,
                "swapCommit": swap_commit,
            },
            options,
        )

    async def upload_blob(
        self,
        data: _ns.BinaryInput,
        *,
        content_type: str | None = None,
        options: _ns.CallOptions | None = None,
    ) -> _upload_blob.Output:
        return await self._call(_UPLOAD_BLOB, None, _ns.BinaryBody(data, content_type), options)


class TestMisc(_ns.SyncNamespace):
    def upload_video(
        self,
        data: _ns.BinaryInput,
        *,
        content_type: str | None = None,
        options: _ns.CallOptions | None = None,
    ) -> None:
        return self._call(_UPLOAD_VIDEO, None, _ns.BinaryBody(data, content_type), options)

    def upload_image(
        self,
        data: _ns.BinaryInput,
        *,
        content_type: str | None = None,
        options: _ns.CallOptions | None = None,
    ) -> None:
        return self._call(_UPLOAD_IMAGE, None, _ns.BinaryBody(data, content_type), options)

    def get_blob(self, *, did: str, cid: str, options: _ns.CallOptions | None = None) -> bytes:
        return self._call(_GET_BLOB, {"did": did, "cid": cid}, None, options)

    def delete_session(self, *, options: _ns.CallOptions | None = None) -> None:
        return self._call(_DELETE_SESSION, None, None, options)

    def describe(self, *, options: _ns.CallOptions | None = None) -> _t.Any:
        return self._call(_DESCRIBE, None, None, options)


class AsyncTestMisc(_ns.AsyncNamespace):
    async def upload_video(
        self,
        data: _ns.BinaryInput,
        *,
        content_type: str | None = None,
        options: _ns.CallOptions | None = None,
    ) -> None:
        return await self._call(_UPLOAD_VIDEO, None, _ns.BinaryBody(data, content_type), options)

    async def upload_image(
        self,
        data: _ns.BinaryInput,
        *,
        content_type: str | None = None,
        options: _ns.CallOptions | None = None,
    ) -> None:
        return await self._call(_UPLOAD_IMAGE, None, _ns.BinaryBody(data, content_type), options)

    async def get_blob(
        self, *, did: str, cid: str, options: _ns.CallOptions | None = None
    ) -> bytes:
        return await self._call(_GET_BLOB, {"did": did, "cid": cid}, None, options)

    async def delete_session(self, *, options: _ns.CallOptions | None = None) -> None:
        return await self._call(_DELETE_SESSION, None, None, options)

    async def describe(self, *, options: _ns.CallOptions | None = None) -> _t.Any:
        return await self._call(_DESCRIBE, None, None, options)


class Test(_ns.SyncNamespace):
    """The ``test`` root; its children live in this module too."""

    @property
    def feed(self) -> TestFeed:
        return self._child(__name__, "TestFeed")

    @property
    def repo(self) -> TestRepo:
        return self._child(__name__, "TestRepo")

    @property
    def misc(self) -> TestMisc:
        return self._child(__name__, "TestMisc")


class AsyncTest(_ns.AsyncNamespace):
    @property
    def feed(self) -> AsyncTestFeed:
        return self._child(__name__, "AsyncTestFeed")

    @property
    def repo(self) -> AsyncTestRepo:
        return self._child(__name__, "AsyncTestRepo")

    @property
    def misc(self) -> AsyncTestMisc:
        return self._child(__name__, "AsyncTestMisc")
