"""Lexicon checks around a call: inputs and params before sending (``validate_request=True``),
outputs after decoding (``validate_response=True``). Both run the generated ``validate()``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from msgspec import UnsetType

from atlex._method import Method
from atlex._model import LexObject
from atlex._response import Received, load_module
from atlex._wire import to_json
from atlex.errors import LexValidationError, XrpcResponseValidationError

__all__ = ["check_input", "check_output", "check_params", "reanchor"]


def reanchor(error: LexValidationError, prefix: str, context: str) -> LexValidationError:
    """``error`` re-anchored under ``prefix`` (``$.record``) and prefixed by ``context``."""
    inner = error.path or "$"
    path = prefix + inner[1:] if inner.startswith("$") else f"{prefix}.{inner}"
    message = error.message
    if message.endswith(f" at {inner}"):
        message = message[: -len(inner)] + path
    else:
        message = f"{message} at {path}"
    return LexValidationError(f"{context}{message}", path=path)


def _validate(value: LexObject, prefix: str, context: str) -> None:
    try:
        value.validate()
    except LexValidationError as exc:
        raise reanchor(exc, prefix, context) from exc


def _embedded(value: Any, path: str, context: str) -> None:
    """Validate the records (any generated object) placed inside untyped parts of an input,
    e.g. ``createRecord``'s ``record`` or an ``applyWrites`` operation's ``value``."""
    if isinstance(value, LexObject):
        _validate(value, path, context)
        cls = type(value)
        for attr, wire in zip(cls.__struct_fields__, cls.__struct_encode_fields__, strict=True):
            item = getattr(value, attr)
            if isinstance(item, dict | list):  # typed fields are covered by validate() above
                _embedded(item, f"{path}.{wire}", context)
    elif isinstance(value, dict):
        for key, item in cast(dict[str, Any], value).items():
            _embedded(item, f"{path}.{key}", context)
    elif isinstance(value, list):
        for i, item in enumerate(cast(list[Any], value)):
            _embedded(item, f"{path}[{i}]", context)


def check_params(method: Method, parsed: object) -> None:
    """Lexicon constraints on parsed ``Params`` (formats, ranges, lengths)."""
    if isinstance(parsed, LexObject):
        _validate(parsed, "$", f"invalid parameters for {method.nsid}: ")


def check_input(method: Method, input: object) -> None:
    """Validate a JSON input against the method's ``Input`` and every generated object in it.

    Raises :class:`LexValidationError` naming the JSON path (e.g. ``$.record.text``).
    """
    if method.input != "json" or input is None:
        return
    from atlex._tolerant import SchemaMismatchError, convert_tolerant

    context = f"invalid input for {method.nsid}: "
    if isinstance(input, Mapping):
        input = {
            k: v for k, v in cast(Mapping[str, Any], input).items() if not isinstance(v, UnsetType)
        }
    if method.module and not isinstance(input, LexObject):
        input_type = load_module(method).Input
        try:
            typed = convert_tolerant(to_json(input), input_type)
        except SchemaMismatchError as exc:
            raise LexValidationError(f"{context}{exc.reason} at {exc.path}", path=exc.path) from exc
        _validate(cast(LexObject, typed), "$", context)
    _embedded(input, "$", context)


def check_output(method: Method, output: object, received: Received) -> None:
    """Lexicon constraints on a decoded output; a failure is the server's fault."""
    if not isinstance(output, LexObject):
        return
    try:
        output.validate(strict=False)  # lenient on what we read, like the reference
    except LexValidationError as exc:
        raise XrpcResponseValidationError(
            f"Invalid response payload: {exc.message}",
            status=received.status,
            headers=received.headers,
            body=received.body,
            nsid=method.nsid,
        ) from exc
