"""Hostile lexicons: names that are keywords, builtins, dunders or collide; text that is code.

Nothing taken from a lexicon may ever run: descriptions, knownValues and defaults below try to
break out of docstrings and literals and set ``builtins.PWNED``.
"""

from __future__ import annotations

import builtins
import io
import json
import tokenize

import msgspec
from _codegen_support import LEXICONS, GeneratedSet, own_structs

import atlex
from atlex._model import KEPT_FIELD

PAYLOAD_MARKER = "PWNED"


def test_no_lexicon_text_becomes_code(hostile: GeneratedSet) -> None:
    modules = hostile.import_all()
    for cls in own_structs(modules):
        msgspec.json.Decoder(cls)  # resolves (evaluates) every annotation
    for mod in modules:
        getattr(mod, "Output", None)
    assert not hasattr(builtins, PAYLOAD_MARKER)
    # and structurally: the marker only ever sits inside string literals
    for rel, text in hostile.generation.files.items():
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type != tokenize.STRING:
                assert PAYLOAD_MARKER not in tok.string, (rel, tok)


def test_descriptions_survive_verbatim_as_docstrings(hostile: GeneratedSet) -> None:
    source = json.loads((LEXICONS / "hostile/test/hostile/names.json").read_text())
    names = hostile.module("test.hostile.names")
    expected = source["defs"]["main"]["description"]
    stripped = "\n".join(line.rstrip() for line in expected.split("\n")).strip()
    assert names.Record.__doc__ is not None
    doc_lines = [ln.strip() for ln in names.Record.__doc__.strip().split("\n")]
    assert doc_lines == [ln.strip() for ln in stripped.split("\n")]


def test_keyword_and_builtin_names_map_to_the_exact_wire_names(hostile: GeneratedSet) -> None:
    source = json.loads((LEXICONS / "hostile/test/hostile/names.json").read_text())
    wire_names = list(source["defs"]["main"]["record"]["properties"])
    names = hostile.module("test.hostile.names")
    # the runtime's own field (what a decoded object kept, see atlex._wire) is not generated
    fields = [f for f in msgspec.structs.fields(names.Record) if f.name != KEPT_FIELD]
    assert [f.encode_name for f in fields] == wire_names
    attrs = [f.name for f in fields]
    assert len(set(attrs)) == len(attrs)
    assert all(a.isidentifier() and not a.startswith("_") for a in attrs)
    assert {"from_", "class_", "import_", "f_init__", "f_class__", "f_private"} <= set(attrs)
    # a full round trip: every wire name comes back exactly
    data = {w: "v" for w in wire_names}
    data["list"] = [{"str": "s"}]
    data["str"] = {"list": [{}], "set": ["a"]}
    rec = atlex.decode(json.dumps(data), names.Record)
    assert rec.from_ == "v" and rec.class_ == "v" and rec.self == "v"
    out = json.loads(atlex.encode(rec))
    assert out.pop("$type") == "test.hostile.names"
    # plain refs read without $type are written without it (their classes are tagged)
    assert out["list"] == [{"str": "s"}]
    assert out["str"] == {"list": [{}], "set": ["a"]}
    assert out == data
    built = names.Record(**{f.name: getattr(rec, f.name) for f in fields})
    assert json.loads(atlex.encode(built)) == {"$type": "test.hostile.names", **data}


def test_colliding_definition_names_get_distinct_classes(hostile: GeneratedSet) -> None:
    names = hostile.module("test.hostile.names")
    assert names.Record.LEX_TYPE == "test.hostile.names"
    assert names.Record_.LEX_TYPE == "test.hostile.names#record"
    assert names.Thing.LEX_TYPE == "test.hostile.names#thing"
    assert names.Thing_.LEX_TYPE == "test.hostile.names#Thing"
    assert names.None_.LEX_TYPE == "test.hostile.names#none"
    assert names.CLASS == "test.hostile.names#class"
    assert names.CLASS_ == "test.hostile.names#CLASS"
    assert names.Def__init__.LEX_TYPE == "test.hostile.names#__init__"


def test_keyword_and_case_colliding_modules(hostile: GeneratedSet) -> None:
    assert hostile.module("test.hostile.class_").NSID == "test.hostile.class"
    assert hostile.module("test.hostile.match").NSID == "test.hostile.match"
    widgets = {hostile.module(m).NSID for m in ("test.hostile.widget", "test.hostile.widget_")}
    assert widgets == {"test.hostile.Widget", "test.hostile.widget"}
    assert hostile.module("client_.self.list").NSID == "client.self.list"


def test_hostile_error_names(hostile: GeneratedSet) -> None:
    mod = hostile.module("test.hostile.class_")
    assert {name: cls.__name__ for name, cls in mod.ERRORS.items()} == {
        "class": "ClassError",
        "Error": "Error",
        "ERRORS": "ERRORSError",
    }


def test_stub_arguments_never_shadow_reserved_ones(hostile: GeneratedSet) -> None:
    import inspect

    client_mod = hostile.module("client")
    ns = hostile.module("_ns.test.hostile")
    sig = inspect.signature(ns.TestHostile.class_)
    assert list(sig.parameters) == ["self", "self_", "options_", "from_", "options"]
    match_sig = inspect.signature(ns.TestHostile.match)
    assert list(match_sig.parameters) == [
        "self",
        "data",
        "data_",
        "content_type_",
        "content_type",
        "options",
    ]
    child = inspect.getattr_static(hostile.module("_ns.test.hostile.ns").TestHostileNs, "thing")
    assert isinstance(child, property)
    assert callable(hostile.module("_ns.test.hostile.ns").TestHostileNs.thing_)
    assert isinstance(inspect.getattr_static(client_mod.Client, "client"), property)


def test_docstring_literals_hold_exactly_their_text() -> None:
    import ast

    from atlex_codegen.render import docstring

    samples = [
        'ends with a quote"',
        'triple """ and \'\'\' and """"""" quotes',
        "back\\slash at the end\\",
        "control \x00 \x07 \x0c \x1b \x7f and a lone \r carriage return",
        "line one\n# not a comment\n\tindented\n\n\\N{BULLET} is not an escape",
        "{{ jinja }} {% if %} and \u2028 a line separator",
    ]
    for text in samples:
        literal = docstring(text, "    ")
        value = ast.literal_eval(literal)
        expected = "\n".join(line.rstrip() for line in text.split("\n")).strip()
        assert [ln.strip() for ln in value.split("\n") if ln.strip()] == [
            ln.strip() for ln in expected.split("\n") if ln.strip()
        ], (text, literal)
        assert "\x00" not in literal and "\r" not in literal
