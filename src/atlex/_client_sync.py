# Generated from src/atlex/_client_async.py by tools/unasync.py (`make unasync`): do not edit.
# Edit the async source; a test fails when this file has drifted from it.
"""``AsyncClient``, and through ``tools/unasync.py`` ``Client``: the roots of the generated
namespace tree.

Written once: this file is the source, ``_client_sync.py`` its generated sync twin
(``make unasync``; a test fails on drift). See ``tools/unasync.py`` for the rule: names such as
``AsyncAgent`` / ``aclose`` map to ``Agent`` / ``close``, ``async`` and ``await`` go, docstrings
are shared and so say "the client".

Both clients are thin drivers of the sans-I/O core in :mod:`atlex._xrpc`: they hand its requests
to the agent, feed the answers back and sleep when it asks. Child namespaces and generated type
modules are imported on first use only, so constructing a client stays cheap. Settings live in
:mod:`atlex._client_state`, the namespace tree in :mod:`atlex._nodes`. One job (the client
class) in a little over 400 lines, most of them the record helpers' signatures and docs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Generator, Iterable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from msgspec import UNSET, UnsetType

from atlex._actions_sync import SyncActions
from atlex._agent import Agent, XrpcRequest, note_of
from atlex._client_state import ClientState, check_agent
from atlex._client_state import sleep as _sleep
from atlex._http_agent import ServiceAgent
from atlex._method import Method
from atlex._model import Blob, LexObject, lazy_module
from atlex._nodes import SyncNode
from atlex._xrpc import (
    BinaryInput,
    CallOptions,
    Received,
    Reply,
    Step,
    as_failure,
    build_request,
    call_flow,
    generic_method,
    raise_for_stream,
    stream_request,
)

if TYPE_CHECKING:  # httpx loads on the first request, not with the client
    import httpx

    from atlex import _records as _rec
    from atlex import _writes
    from atlex._records import ListedRecord, Plan, RecordPage, RecordResult
    from atlex._writes import WriteOp
    from atlex.lex.com.atproto.repo import apply_writes as _apply_writes
    from atlex.lex.com.atproto.repo import create_record as _create_record
    from atlex.lex.com.atproto.repo import delete_record as _delete_record
    from atlex.lex.com.atproto.repo import put_record as _put_record
else:  # the record helpers' logic loads on their first use, not with every client
    _rec = lazy_module("atlex._records")
    _writes = lazy_module("atlex._writes")

__all__ = ["Client"]

_C = TypeVar("_C", bound="Client")
_T = TypeVar("_T")
_R = TypeVar("_R", bound=LexObject)


class Client(ClientState, SyncNode, SyncActions):
    """An XRPC client over an agent (or a service URL, unauthenticated); ``AsyncClient`` is
    the same with ``await`` on every call (``async with`` / ``async for`` where it applies).

    ``headers`` are sent with every call; ``proxy`` sets ``atproto-proxy``; ``labelers`` and
    ``app_labelers`` feed ``atproto-accept-labelers``; ``timeout`` (seconds) bounds each request;
    ``max_retries`` enables retries of transient failures. ``transport`` (with a URL only) is
    handed to the underlying httpx client, e.g. an ``httpx.MockTransport`` in tests.
    ``validate_request`` checks params, inputs and records against their lexicons before
    anything is sent (:class:`~atlex.errors.LexValidationError` with the JSON path);
    ``validate_response`` checks outputs too
    (:class:`~atlex.errors.XrpcResponseValidationError`).

    Record helpers (:meth:`create`, :meth:`get`, :meth:`put`, :meth:`delete`, :meth:`list`,
    :meth:`list_all`, :meth:`apply_writes`, :meth:`upload_blob`) take the generated record
    classes, default ``repo`` to the account's DID and always talk to the PDS (no proxy, no
    labelers). See :mod:`atlex.records` for the lossless read-modify-write they implement.
    """

    def __init__(
        self,
        agent: Agent | str,
        *,
        headers: Mapping[str, str] | None = None,
        proxy: str | None = None,
        labelers: Iterable[str] = (),
        app_labelers: Iterable[str] | UnsetType | None = UNSET,
        timeout: float | None = None,
        max_retries: int = 0,
        transport: httpx.BaseTransport | None = None,
        validate_request: bool = False,
        validate_response: bool = False,
    ) -> None:
        self._init_state(
            headers,
            proxy,
            labelers,
            app_labelers,
            timeout,
            max_retries,
            validate_request,
            validate_response,
        )
        self._owned: ServiceAgent | None = None
        if isinstance(agent, str):
            self._owned = ServiceAgent(agent, transport=transport)
            self._agent: Agent = self._owned
        elif transport is not None:
            raise TypeError("transport= applies only when the client is given a service URL")
        else:
            check_agent(agent, asynchronous=self._asynchronous)
            self._agent = agent

    @property
    def agent(self) -> Agent:
        return self._agent

    def call(
        self,
        nsid: str,
        params: Mapping[str, Any] | None = None,
        input: Any = None,
        *,
        procedure: bool | None = None,
        options: CallOptions | None = None,
    ) -> Any:
        """Call a method outside the generated set by NSID.

        A query (GET) unless ``procedure`` is true or an ``input`` is given. ``input`` is JSON
        data (dict / Struct) or a :class:`BinaryBody`. Returns parsed JSON, bytes for other
        payloads, or None for an empty answer.
        """
        is_procedure = input is not None if procedure is None else procedure
        method = generic_method(nsid, procedure=is_procedure, input=input)
        return self._invoke(method, params, input, options, True)

    @contextlib.contextmanager
    def stream(
        self,
        nsid: str,
        params: Mapping[str, Any] | None = None,
        *,
        options: CallOptions | None = None,
    ) -> Generator[httpx.Response, None]:
        """Run a query and read its answer incrementally (never retried): a context manager
        whose block gets the ``httpx.Response`` (``with client.stream(nsid, params) as
        response``, then ``response.iter_bytes()``; ``async with`` / ``aiter_bytes()`` on
        ``AsyncClient``). An error status is raised as the usual XRPC error before the block
        runs.
        """
        method, request = stream_request(nsid, params, options, self._settings)
        try:
            response = self._agent.send(request)
        except Exception as exc:
            failure = as_failure(method, exc)
            if failure is exc:
                raise
            raise failure from exc
        try:
            if not response.is_success:
                body = response.read()
                raise_for_stream(
                    method,
                    Received(response.status_code, response.headers, body, note_of(response)),
                )
            yield response
        finally:
            response.close()

    # --- record helpers (logic in atlex._records) ---

    def _run(self, plan: Plan[_T], options: CallOptions | None) -> _T:
        output = self._invoke(plan.method, plan.params, plan.input, _rec.pds_options(options))
        return plan.finish(output)

    def create(
        self,
        record: LexObject,
        *,
        rkey: str | None = None,
        validate: bool | None = None,
        swap_commit: str | None = None,
        repo: str | None = None,
        options: CallOptions | None = None,
    ) -> _create_record.Output:
        """Create ``record`` in its collection (``type(record).LEX_TYPE``).

        ``rkey`` defaults by the lexicon's key type: the server picks a TID for ``tid``/``any``
        keys, ``literal:self`` records use ``"self"``; a given key is checked first.
        ``validate`` asks the PDS to validate (True), not to (False) or to decide (None).
        """
        plan = _rec.write_plan(
            record,
            new=True,
            rkey=rkey,
            swap_record=None,
            validate=validate,
            swap_commit=swap_commit,
            repo=repo,
            did=self._did,
            validate_request=self._validate_request,
        )
        return self._run(plan, options)

    def get(
        self,
        record_type: type[_R],
        *,
        rkey: str | None = None,
        repo: str | None = None,
        cid: str | None = None,
        options: CallOptions | None = None,
    ) -> RecordResult[_R]:
        """Read one record, typed and checked against its lexicon (LexValidationError if it
        is not valid). The result keeps the JSON as stored: pass it to :meth:`put` to write it
        back without losing fields the local lexicons do not define."""
        plan = _rec.get_plan(record_type, rkey=rkey, repo=repo, cid=cid, did=self._did)
        return self._run(plan, options)

    def put(
        self,
        record: LexObject | RecordResult[Any] | ListedRecord[Any],
        *,
        rkey: str | None = None,
        validate: bool | None = None,
        swap_record: str | None = None,
        swap_commit: str | None = None,
        repo: str | None = None,
        options: CallOptions | None = None,
    ) -> _put_record.Output:
        """Write ``record`` at ``rkey`` (creating or replacing it).

        Given a :class:`RecordResult` from :meth:`get` (or a valid :meth:`list` item), writes
        its changed ``value`` merged over the stored JSON, keeping every member the local
        lexicons do not know; ``rkey`` and ``repo`` default to where it was read. ``swap_record`` (a CID,
        e.g. ``result.cid``) makes the write fail with ``InvalidSwapError`` if the record
        changed meanwhile.
        """
        plan = _rec.write_plan(
            record,
            new=False,
            rkey=rkey,
            validate=validate,
            swap_record=swap_record,
            swap_commit=swap_commit,
            repo=repo,
            did=self._did,
            validate_request=self._validate_request,
        )
        return self._run(plan, options)

    def delete(
        self,
        record_type: type[LexObject],
        *,
        rkey: str | None = None,
        swap_record: str | None = None,
        swap_commit: str | None = None,
        repo: str | None = None,
        options: CallOptions | None = None,
    ) -> _delete_record.Output:
        """Delete the ``record_type`` record at ``rkey`` (succeeds if it does not exist)."""
        plan = _rec.delete_plan(
            record_type,
            rkey=rkey,
            swap_record=swap_record,
            swap_commit=swap_commit,
            repo=repo,
            did=self._did,
        )
        return self._run(plan, options)

    def apply_writes(
        self,
        writes: Sequence[WriteOp],
        *,
        validate: bool | None = None,
        swap_commit: str | None = None,
        repo: str | None = None,
        options: CallOptions | None = None,
    ) -> _apply_writes.Output:
        """Apply creates, updates and deletes atomically, e.g.
        ``[Create(post), Update(got), Delete(like.Record, rkey=k)]``."""
        plan = _writes.apply_writes_plan(
            writes,
            validate=validate,
            swap_commit=swap_commit,
            repo=repo,
            did=self._did,
            validate_request=self._validate_request,
        )
        return self._run(plan, options)

    def upload_blob(
        self, data: BinaryInput, mime_type: str, *, options: CallOptions | None = None
    ) -> Blob:
        """Upload ``data`` (bytes, a binary file or an iterator of chunks) and return the
        :class:`Blob` reference to embed in a record."""
        return self._run(_rec.upload_blob_plan(data, mime_type), options)

    def list_all(
        self,
        record_type: type[_R],
        *,
        repo: str | None = None,
        limit: int | None = 100,
        reverse: bool | None = None,
        options: CallOptions | None = None,
    ) -> Iterator[ListedRecord[_R]]:
        """Every record of the collection, page after page (``limit`` per page), each marked
        valid or invalid. Stops at the last page, or if the server repeats a cursor."""
        pager = _rec.Pager(record_type, repo=repo, limit=limit, reverse=reverse, did=self._did)
        while (plan := pager.next_plan()) is not None:
            for item in pager.feed(self._run(plan, options)):
                yield item

    def list(
        self,
        record_type: type[_R],
        *,
        repo: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        reverse: bool | None = None,
        options: CallOptions | None = None,
    ) -> RecordPage[_R]:
        """One page of the collection: each item typed and marked ``valid``, or kept raw with
        its ``error`` (like upstream ``list``); ``page.cursor`` fetches the next."""
        plan = _rec.list_plan(
            record_type, repo=repo, limit=limit, cursor=cursor, reverse=reverse, did=self._did
        )
        return self._run(plan, options)

    def _invoke(
        self,
        method: Method,
        params: Mapping[str, Any] | None,
        input: object,
        options: CallOptions | None,
        loose: bool = False,
    ) -> Any:
        request = build_request(
            method,
            params,
            input,
            options,
            self._settings,
            asynchronous=self._asynchronous,
            validate=self._validate_request,
        )
        flow = call_flow(
            method,
            request,
            self._settings.retry,
            loose=loose,
            validate_response=self._validate_response,
        )
        return self._drive(flow)

    def _drive(self, flow: Generator[Step, Reply, Any]) -> Any:
        reply: Reply = None
        while True:
            try:
                step = flow.send(reply)
            except StopIteration as done:
                return done.value
            if isinstance(step, XrpcRequest):
                reply = self._exchange(step)
            else:
                _sleep(step)
                reply = None

    def _exchange(self, request: XrpcRequest) -> Received | BaseException:
        try:
            response = self._agent.send(request)
            try:
                body = response.read()
            finally:
                response.close()
        except Exception as exc:  # the core decides what a failure to send means
            return exc
        return Received(response.status_code, response.headers, body, note_of(response))

    def close(self) -> None:
        """Close the HTTP connections this client opened itself (never a given agent's)."""
        if self._owned is not None:
            self._owned.close()

    def __enter__(self: _C) -> _C:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._agent!r})"
