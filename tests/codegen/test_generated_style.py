"""Generated code reads as written by hand: lines within 100 columns, one quote style, each
field union declared once, and layout that ``ruff format`` leaves as it is (over the fixture
sets here; ``make lint`` checks the generated upstream tree)."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import tokenize
import typing
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
from _codegen_support import LEXICONS, REPO, GeneratedSet, generated_set, pulled_set

from atlex_codegen.pipeline import generate

WIDTH = 100


@pytest.fixture(scope="module")
def outputs() -> dict[str, dict[str, str]]:
    sets = {
        "features": generate([LEXICONS / "features"], "fx_features").files,
        "hostile": generate([LEXICONS / "hostile"], "fx_hostile").files,
        "upstream": generate([pulled_set("upstream")], "atlex.lex").files,
    }
    return {
        name: {p: t for p, t in files.items() if p.endswith(".py")} for name, files in sets.items()
    }


def test_no_generated_line_is_longer_than_100_columns(outputs: dict[str, dict[str, str]]) -> None:
    long = [
        f"{name}:{path}:{n}: {len(line)} columns"
        for name, files in outputs.items()
        for path, text in files.items()
        for n, line in enumerate(text.splitlines(), 1)
        if len(line) > WIDTH
    ]
    assert sum(len(files) for files in outputs.values()) > 500
    assert not long, "\n".join(long[:20])


def _string_tokens(text: str) -> list[str]:
    tokens = tokenize.generate_tokens(io.StringIO(text).readline)
    return [t.string for t in tokens if t.type == tokenize.STRING]


def test_one_quote_style(outputs: dict[str, dict[str, str]]) -> None:
    """Double quotes everywhere; single quotes only around text holding a double quote."""
    odd: list[str] = []
    seen = 0
    for name, files in outputs.items():
        for path, text in files.items():
            for token in _string_tokens(text):
                seen += 1
                body = token.lstrip("rRbBuUfF")
                quote = body[0]
                inner = body[3:-3] if body[:3] in ('"""', "'''") else body[1:-1]
                if quote != '"' and '"' not in inner:
                    odd.append(f"{name}:{path}: {token[:60]}")
    assert seen > 10_000
    assert not odd, "\n".join(odd[:20])


def test_the_quote_rule_is_checked_on_tokens() -> None:
    # the check above must see a single-quoted literal, and leave a needed one alone
    assert _string_tokens("x = 'a'\ny = 'say \"hi\"'\n") == ["'a'", "'say \"hi\"'"]


def test_field_unions_are_declared_once_at_module_level(outputs: dict[str, dict[str, str]]) -> None:
    """A union used by fields is a module-level alias (``_rt.OpenUnion[...]`` /
    ``_rt.ClosedUnion[...]``) that the fields name; no class body spells one out."""
    declared = re.compile(r"^(\w+): _t\.TypeAlias = _rt\.(?:Open|Closed)Union\[", re.M)
    aliases = 0
    for name, files in outputs.items():
        for path, text in files.items():
            names = declared.findall(text)
            assert len(names) == len(set(names)), (name, path)
            aliases += len(names)
            in_class = False
            for line in text.splitlines():
                if line.startswith("class "):
                    in_class = True
                elif line and not line[0].isspace():
                    in_class = False
                if in_class:
                    # the old layout: per field, the union twice (with UnknownMember for type
                    # checkers, without it at run time)
                    assert "UnknownMember" not in line, (name, path, line)
                    assert "if _t.TYPE_CHECKING:" not in line, (name, path, line)
    assert aliases > 50


def test_each_distinct_union_of_a_module_has_one_alias(outputs: dict[str, dict[str, str]]) -> None:
    body = re.compile(r"^\w+: _t\.TypeAlias = (_rt\.(?:Open|Closed)Union\[.*?\])$", re.M | re.S)
    for files in outputs.values():
        for path, text in files.items():
            unions = [" ".join(u.split()) for u in body.findall(text)]
            assert len(unions) == len(set(unions)), path


def test_ruff_format_leaves_the_fixture_output_unchanged(tmp_path: Path) -> None:
    for set_name, package in (("features", "fx_features"), ("hostile", "fx_hostile")):
        for path, text in generate([LEXICONS / set_name], package).files.items():
            target = tmp_path / set_name / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
    ruff = Path(sys.executable).parent / "ruff"
    config = REPO / "pyproject.toml"
    for mode in (["format", "--check", "--diff"], ["check", "--no-cache"]):
        run = subprocess.run(
            [str(ruff), *mode, "--config", str(config), str(tmp_path)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]


@pytest.fixture(scope="module")
def features(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GeneratedSet]:
    yield from generated_set(
        tmp_path_factory.mktemp("style"), [LEXICONS / "features"], "fx_style_features"
    )


def test_a_union_alias_serves_types_declared_elsewhere(features: GeneratedSet) -> None:
    """The aliases are usable by user code too: their members resolve in the module that
    declares them, not in the module of the class that uses them."""
    record = features.module("test.feature.record")
    mine = msgspec.defstruct(
        "Mine", [("embed", record.RecordEmbed), ("strict", record.RecordStrict)]
    )
    image = {"$type": "test.feature.record#image", "alt": "a cat"}
    value = msgspec.json.decode(msgspec.json.encode({"embed": image, "strict": image}), type=mine)
    assert isinstance(value.embed, record.Image)
    assert isinstance(value.strict, record.Image)
    # the open alias leaves UnknownMember (a dict) out at run time: msgspec's tagged unions
    # cannot hold one, the tolerant decoder keeps unknown members instead
    assert dict not in typing.get_args(record.RecordEmbed)
