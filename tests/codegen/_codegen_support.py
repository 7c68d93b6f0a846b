"""Helpers for the generator tests: generate fixture sets into importable temporary packages."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import msgspec
import pytest

from atlex_codegen.pipeline import Generation, generate
from atlex_codegen.write import write_files

HERE = Path(__file__).parent
LEXICONS = HERE / "lexicons"
REPO = HERE.parent.parent


class GeneratedSet:
    def __init__(self, generation: Generation, root: Path, package: str) -> None:
        self.generation = generation
        self.root = root
        self.package = package

    def import_all(self) -> list[ModuleType]:
        pkg = importlib.import_module(self.package)
        modules = [pkg]
        for info in pkgutil.walk_packages(pkg.__path__, self.package + "."):
            modules.append(importlib.import_module(info.name))
        return modules

    def module(self, rel: str) -> ModuleType:
        return importlib.import_module(f"{self.package}.{rel}")


def generated_set(tmp: Path, dirs: list[Path], package: str) -> Iterator[GeneratedSet]:
    gen = generate(dirs, package)
    write_files(gen.files, tmp, package)
    sys.path.insert(0, str(tmp))
    try:
        yield GeneratedSet(gen, tmp, package)
    finally:
        sys.path.remove(str(tmp))
        for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
            del sys.modules[name]


def pulled_set(name: str) -> Path:
    """A pulled lexicon set; a clear failure (not a skip) when `make lexicons` has not run."""
    path = REPO / "lexicons" / name
    if not path.is_dir():
        pytest.fail(f"lexicon set {name!r} is missing: run `make lexicons` first")
    return path


def own_structs(modules: list[ModuleType]) -> list[type[msgspec.Struct]]:
    """The msgspec classes each module defines itself (not the ones it imports)."""
    return [
        value
        for mod in modules
        for value in vars(mod).values()
        if isinstance(value, type)
        and issubclass(value, msgspec.Struct)
        and value.__module__ == mod.__name__
    ]
