"""The layering, read from the imports (``ast``, nothing imported): no import cycle in the
runtime, generated code reaches the runtime only through its two facades, the command line
reaches the generator only inside ``gen`` and ``lexicons``."""

from __future__ import annotations

from pathlib import Path

from _imports import Import, find_cycle, package_imports

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
GENERATED = "atlex.lex"
# What generated modules may import from the runtime (besides the generated tree itself).
FACADES = {"atlex._rt", "atlex._ns", "atlex.errors"}


def _runtime_imports() -> list[Import]:
    return [
        imp
        for imp in package_imports(SRC, "atlex")
        if not imp.importer.startswith(GENERATED) and imp.target.startswith("atlex.")
    ]


def _edges(imports: list[Import]) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for imp in imports:
        if imp.importer != imp.target:
            edges.setdefault(imp.importer, set()).add(imp.target)
    return edges


def test_runtime_modules_import_without_a_cycle() -> None:
    loaded_together = [imp for imp in _runtime_imports() if imp.where == "module"]
    assert find_cycle(_edges(loaded_together)) is None


def test_lazy_imports_close_no_cycle_either() -> None:
    imports = [imp for imp in _runtime_imports() if imp.where != "type-checking"]
    assert find_cycle(_edges(imports)) is None


def test_generated_tree_imports_only_the_facades() -> None:
    assert (SRC / "atlex" / "lex").is_dir(), "run `make gen` first"
    strays = sorted(
        f"{imp.importer}:{imp.line} imports {imp.target}"
        for imp in package_imports(SRC, GENERATED)
        if imp.target.split(".")[0] == "atlex"
        and imp.target not in FACADES
        and not (imp.target + ".").startswith(GENERATED + ".")
    )
    assert not strays, "\n".join(strays[:20])


def test_the_facades_import_no_client_eagerly() -> None:
    """Generated namespace modules load the facade; the client classes load with a client."""
    eager = {
        imp.target
        for imp in _runtime_imports()
        if imp.importer in {"atlex._ns", "atlex._rt"} and imp.where == "module"
    }
    assert "atlex._client" not in eager
    assert not {t for t in eager if t.startswith(GENERATED)}


CLI = "atlex.cli"
# The command line's modules that run the generator; they import it when a command runs.
GENERATOR_COMMANDS = {"atlex.cli._gen", "atlex.cli._lexicons", "atlex.cli._lexicons_install"}
CLI_ONLY = {"click", "jinja2", "atlex_codegen"}


def _top(module: str) -> str:
    return module.split(".")[0]


def test_cli_imports_the_generator_only_inside_gen_and_lexicons() -> None:
    strays = sorted(
        f"{imp.importer}:{imp.line} imports {imp.target} ({imp.where})"
        for imp in package_imports(SRC, CLI)
        if _top(imp.target) == "atlex_codegen"
        and (imp.importer not in GENERATOR_COMMANDS or imp.where == "module")
    )
    assert not strays, "\n".join(strays)


def test_runtime_imports_no_cli_library() -> None:
    """``pip install atlex`` has no click, jinja2 or generator; dnspython only lazily."""
    strays = sorted(
        f"{imp.importer}:{imp.line} imports {imp.target} ({imp.where})"
        for imp in package_imports(SRC, "atlex")
        if not (imp.importer + ".").startswith(CLI + ".")
        and (_top(imp.target) in CLI_ONLY or (_top(imp.target) == "dns" and imp.where == "module"))
    )
    assert not strays, "\n".join(strays)
