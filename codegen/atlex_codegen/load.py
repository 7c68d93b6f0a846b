"""Stage 1: read Lexicon JSON into typed schema objects, reporting every problem with its place.

A broken def is reported (file, NSID, def, JSON path, reason) and left out; the rest of the
document and of the set still loads. Nothing here knows about Python output.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import msgspec

from atlex_codegen import schema as s
from atlex_codegen.audit import audit_def
from atlex_codegen.suggest import did_you_mean

__all__ = ["NSID_RE", "Catalog", "Document", "Problem", "load_bytes", "load_dirs"]

NSID_RE = re.compile(
    r"^[a-zA-Z]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
    r"(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)+"
    r"(\.[a-zA-Z]([a-zA-Z0-9]{0,62})?)$"
)


@dataclass(frozen=True, order=True)
class Problem:
    """Something wrong in a lexicon set: reported once, never silently dropped."""

    source: str
    nsid: str
    def_name: str
    path: str
    message: str

    def __str__(self) -> str:
        where = self.nsid + (f"#{self.def_name}" if self.def_name else "")
        at = f" (at {self.path})" if self.path else ""
        return f"{self.source}: {where or '?'}: {self.message}{at}"


@dataclass(frozen=True)
class Document:
    nsid: str
    source: str
    description: str | None
    defs: Mapping[str, s.DefSchema]
    raw: bytes = b""
    """The document as read (bundled with generated packages so others can reference them)."""


@dataclass(frozen=True)
class Catalog:
    """Every loaded document by NSID (sorted, so everything downstream is deterministic)."""

    documents: Mapping[str, Document]
    problems: tuple[Problem, ...] = field(default=())


_shell_decoder = msgspec.json.Decoder(s.DocShell)
_def_decoder = msgspec.json.Decoder(s.DefSchema)


def load_bundle(data: bytes, source: str) -> Catalog:
    """A lexicon set bundled with a generated package (``_lexicons.json``: a JSON array)."""
    documents: dict[str, Document] = {}
    problems: list[Problem] = []
    for raw in msgspec.json.decode(data, type=list[msgspec.Raw]):
        doc, probs = load_bytes(bytes(raw), source)
        problems.extend(probs)
        if doc is not None:
            documents.setdefault(doc.nsid, doc)
    return Catalog({k: documents[k] for k in sorted(documents)}, tuple(problems))


def load_dirs(dirs: Iterable[Path]) -> Catalog:
    """Load every ``*.json`` below each folder (sorted paths). Later duplicates are reported."""
    documents: dict[str, Document] = {}
    problems: list[Problem] = []
    for root in dirs:
        if not root.is_dir():
            problems.append(Problem(str(root), "", "", "", "not a folder of lexicon documents"))
            continue
        paths = sorted(p for p in root.rglob("*.json") if p.is_file())
        if not paths:
            problems.append(Problem(str(root), "", "", "", "no lexicon documents (*.json) here"))
        for path in paths:
            rel = path.relative_to(root)
            source = str(path)
            doc, probs = load_bytes(path.read_bytes(), source)
            problems.extend(probs)
            if doc is None:
                continue
            expected = ".".join(rel.with_suffix("").parts)
            if expected != doc.nsid:
                problems.append(
                    Problem(
                        source,
                        doc.nsid,
                        "",
                        "$.id",
                        f"file path says {expected!r} but the document id is {doc.nsid!r}; "
                        "using the id",
                    )
                )
            if doc.nsid in documents:
                problems.append(
                    Problem(
                        source,
                        doc.nsid,
                        "",
                        "$.id",
                        f"duplicate document id, already defined by {documents[doc.nsid].source}; "
                        "ignored",
                    )
                )
                continue
            documents[doc.nsid] = doc
    ordered = {k: documents[k] for k in sorted(documents)}
    return Catalog(ordered, tuple(problems))


def load_bytes(data: bytes, source: str) -> tuple[Document | None, list[Problem]]:
    """Parse one document. Returns None when nothing of it is usable."""
    problems: list[Problem] = []
    try:
        raw: Any = msgspec.json.decode(data)
    except msgspec.DecodeError as e:
        return None, [Problem(source, "", "", "$", f"not JSON: {_json_error(data, e)}")]
    nsid = cast("dict[str, Any]", raw).get("id") if isinstance(raw, dict) else None
    nsid_s = nsid if isinstance(nsid, str) else ""
    try:
        shell = _shell_decoder.decode(data)
    except msgspec.ValidationError as e:
        return None, [Problem(source, nsid_s, "", _msgspec_path(e), _msgspec_reason(e))]
    if not NSID_RE.match(shell.id) or len(shell.id) > 317:
        return None, [Problem(source, shell.id, "", "$.id", f"invalid NSID {shell.id!r}")]
    if not shell.defs:
        return None, [Problem(source, shell.id, "", "$.defs", "a document needs at least one def")]
    defs: dict[str, s.DefSchema] = {}
    for name, raw_def in shell.defs.items():
        d, probs = _load_def(bytes(raw_def), source, shell.id, name)
        problems.extend(probs)
        if d is not None:
            defs[name] = d
    if not defs:
        return None, problems
    desc = shell.description if isinstance(shell.description, str) else None
    return Document(shell.id, source, desc, defs, data), problems


def _load_def(
    data: bytes, source: str, nsid: str, name: str
) -> tuple[s.DefSchema | None, list[Problem]]:
    base = f"$.defs.{name}"

    def problem(path: str, message: str) -> Problem:
        return Problem(source, nsid, name, path, message)

    raw: Any = msgspec.json.decode(data)
    kind = cast("dict[str, Any]", raw).get("type") if isinstance(raw, dict) else None
    if isinstance(kind, str) and kind not in s.DEF_TYPE_NAMES:
        why = (
            "cannot be a named def"
            if kind in ("ref", "union", "unknown", "params", "permission")
            else "is not a Lexicon type" + did_you_mean(kind, s.DEF_TYPE_NAMES, list_all=True)
        )
        return None, [problem(base + ".type", f"def of type {kind!r} {why}; def skipped")]
    missing = _untyped_schema(raw, base)
    if missing:
        return None, [problem(missing, "schema object has no 'type'; def skipped")]
    try:
        d = _def_decoder.decode(data)
    except msgspec.ValidationError:
        path, reason = _locate(raw, base)
        return None, [problem(path, f"{reason}; def skipped")]
    if isinstance(d, s.PRIMARY) and name != "main":
        return None, [problem(base + ".type", f"a {kind} def must be named 'main'; def skipped")]
    checked, problems = _check_def(d, base, problem)
    return checked, [problem(where, why) for where, why in audit_def(raw, base)] + problems


def _check_def(d: s.DefSchema, base: str, problem: Any) -> tuple[s.DefSchema | None, list[Problem]]:
    """Rules the typed parse cannot express. Fixes what is safe to fix and reports it."""
    problems: list[Problem] = []
    if isinstance(d, s.ObjectSchema):
        return _check_object(d, base, problem, problems), problems
    if isinstance(d, s.RecordSchema):
        return msgspec.structs.replace(
            d, record=_check_object(d.record, base + ".record", problem, problems)
        ), problems
    if isinstance(d, s.QuerySchema | s.ProcedureSchema | s.SubscriptionSchema) and isinstance(
        d.parameters, s.ParamsSchema
    ):
        d = msgspec.structs.replace(
            d, parameters=_check_params(d.parameters, base + ".parameters", problem, problems)
        )
    if isinstance(d, s.ProcedureSchema) and isinstance(d.input, s.Body):
        schema = d.input.schema
        if isinstance(schema, s.ObjectSchema):
            fixed = _check_object(schema, base + ".input.schema", problem, problems)
            d = msgspec.structs.replace(d, input=msgspec.structs.replace(d.input, schema=fixed))
    if isinstance(d, s.QuerySchema | s.ProcedureSchema) and isinstance(d.output, s.Body):
        schema = d.output.schema
        if isinstance(schema, s.ObjectSchema):
            fixed = _check_object(schema, base + ".output.schema", problem, problems)
            d = msgspec.structs.replace(d, output=msgspec.structs.replace(d.output, schema=fixed))
    return d, problems


def _check_object(
    o: s.ObjectSchema, path: str, problem: Any, problems: list[Problem]
) -> s.ObjectSchema:
    required = [r for r in o.required if r in o.properties]
    nullable = [n for n in o.nullable if n in o.properties]
    for r in o.required:
        if r not in o.properties:
            problems.append(problem(path + ".required", f"required field {r!r} is not defined"))
    for n in o.nullable:
        if n not in o.properties:
            problems.append(problem(path + ".nullable", f"nullable field {n!r} is not defined"))
    props: dict[str, s.FieldSchema] = {}
    for key, prop in o.properties.items():
        props[key] = _check_field(prop, f"{path}.properties.{key}", problem, problems)
    if required != o.required or nullable != o.nullable or props != o.properties:
        return msgspec.structs.replace(o, required=required, nullable=nullable, properties=props)
    return o


def _check_field(
    f: s.FieldSchema, path: str, problem: Any, problems: list[Problem]
) -> s.FieldSchema:
    if isinstance(f, s.ObjectSchema):
        return _check_object(f, path, problem, problems)
    if isinstance(f, s.ArraySchema):
        items = _check_field(f.items, path + ".items", problem, problems)
        return f if items is f.items else msgspec.structs.replace(f, items=items)
    if isinstance(f, s.UnionSchema) and f.closed and not f.refs:
        problems.append(problem(path, "an empty closed union admits nothing; treated as open"))
        return msgspec.structs.replace(f, closed=False)
    return f


_PARAM_SCALARS = (s.BooleanSchema, s.IntegerSchema, s.StringSchema, s.UnknownSchema)


def _check_params(
    p: s.ParamsSchema, path: str, problem: Any, problems: list[Problem]
) -> s.ParamsSchema:
    props: dict[str, s.FieldSchema] = {}
    for key, prop in p.properties.items():
        ok = isinstance(prop, _PARAM_SCALARS) or (
            isinstance(prop, s.ArraySchema) and isinstance(prop.items, _PARAM_SCALARS)
        )
        if ok:
            props[key] = prop
        else:
            problems.append(
                problem(
                    f"{path}.properties.{key}",
                    "params may only be boolean, integer, string, unknown or arrays of "
                    "those; parameter skipped",
                )
            )
    required = [r for r in p.required if r in props]
    for r in p.required:
        if r not in p.properties:
            problems.append(problem(path + ".required", f"required param {r!r} is not defined"))
    if props != p.properties or required != p.required:
        return msgspec.structs.replace(p, properties=props, required=required)
    return p


# --- error location -------------------------------------------------------------------------
# msgspec reports dict keys as `[...]`; to name the exact property we walk the raw JSON and
# re-check the smallest failing sub-schema ourselves.

_CHILDREN: dict[str, tuple[tuple[str, ...], ...]] = {
    "object": (("properties", "*"),),
    "params": (("properties", "*"),),
    "array": (("items",),),
    "record": (("record",),),
    "query": (("parameters",), ("output", "schema")),
    "procedure": (("parameters",), ("input", "schema"), ("output", "schema")),
    "subscription": (("parameters",), ("message", "schema")),
}
_field_decoder = msgspec.json.Decoder(s.FieldSchema | s.ParamsSchema)


def _locate(raw: Any, path: str) -> tuple[str, str]:
    """The deepest (path, reason) at which ``raw`` stops being a valid schema."""
    if isinstance(raw, dict):
        kind = raw.get("type")  # type: ignore[union-attr]
        for chain in _CHILDREN.get(kind if isinstance(kind, str) else "", ()):
            for child_path, child in _walk(raw, chain, path):
                try:
                    _field_decoder.decode(msgspec.json.encode(child))
                except msgspec.ValidationError:
                    return _locate(child, child_path)
    try:
        msgspec.convert(raw, s.DefSchema | s.FieldSchema | s.ParamsSchema)
    except msgspec.ValidationError as e:
        rel = _msgspec_path(e)
        kind = raw.get("type") if isinstance(raw, dict) and rel == "$.type" else None  # type: ignore[union-attr]
        if isinstance(kind, str):
            valid = _PARAMS_TYPES if path.endswith(".parameters") else _FIELD_TYPES
            return path + ".type", f"unknown type {kind!r}" + did_you_mean(
                kind, valid, list_all=True
            )
        return path + rel[1:], _msgspec_reason(e)
    return path, "invalid schema"


def _tags(union: Any) -> frozenset[str]:
    return frozenset(str(t.__struct_config__.tag) for t in typing.get_args(union))


_FIELD_TYPES = _tags(s.FieldSchema)
_PARAMS_TYPES = frozenset({"params"})


def _json_error(data: bytes, e: msgspec.DecodeError) -> str:
    """msgspec's reason with the byte offset turned into a line and column (1-based)."""
    text = str(e).removeprefix("JSON is malformed: ")
    m = re.search(r" \(byte (\d+)\)$", text)
    if m is None:  # "Input data was truncated": the document ends early
        offset = len(data.rstrip())
        text = "the document ends early (truncated)" if "truncated" in text else text
    else:
        offset = int(m.group(1))
        text = text[: m.start()]
    line = data.count(b"\n", 0, offset) + 1
    column = len(data[data.rfind(b"\n", 0, offset) + 1 : offset].decode(errors="replace")) + 1
    return f"{text} at line {line}, column {column}"


def _untyped_schema(raw: Any, path: str) -> str | None:
    """Path of a nested schema lacking ``type`` (msgspec treats a lone tag as optional)."""
    if not isinstance(raw, dict):
        return None
    kind = raw.get("type")  # type: ignore[union-attr]
    for chain in _CHILDREN.get(kind if isinstance(kind, str) else "", ()):
        for child_path, child in _walk(raw, chain, path):
            if isinstance(child, dict) and "type" not in child:
                return child_path
            found = _untyped_schema(child, child_path)
            if found:
                return found
    return None


def _walk(raw: Any, chain: tuple[str, ...], path: str) -> Iterable[tuple[str, Any]]:
    if not chain:
        yield path, raw
        return
    key, rest = chain[0], chain[1:]
    if not isinstance(raw, dict):
        return
    if key == "*":
        for k, v in raw.items():  # type: ignore[union-attr]
            yield from _walk(v, rest, f"{path}.{k}")
    elif key in raw:
        yield from _walk(raw[key], rest, f"{path}.{key}")


def _msgspec_path(e: msgspec.ValidationError) -> str:
    m = re.search(r" - at `(\$[^`]*)`$", str(e))
    return m.group(1) if m else "$"


def _msgspec_reason(e: msgspec.ValidationError) -> str:
    return re.sub(r" - at `\$[^`]*`$", "", str(e)).replace("`", "'")
