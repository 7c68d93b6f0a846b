"""The generator as one call: load -> lower -> render (-> write, done by the caller)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from atlex_codegen import ir
from atlex_codegen.load import Problem, load_dirs
from atlex_codegen.lower import lower
from atlex_codegen.render import render

__all__ = ["Generation", "generate"]


@dataclass(frozen=True)
class Generation:
    package: ir.Package
    files: dict[str, str]
    problems: tuple[Problem, ...]
    documents: int

    @property
    def classes(self) -> int:
        return sum(len(m.structs) + len(m.errors) for m in self.package.types) + 2 * len(
            self.package.namespaces
        )

    @property
    def stubs(self) -> int:
        return sum(len(n.stubs) for n in self.package.namespaces)


def generate(dirs: Sequence[Path], package: str) -> Generation:
    catalog = load_dirs(dirs)
    pkg, lower_problems = lower(catalog, package)
    files = render(pkg)
    problems = tuple(sorted({*catalog.problems, *lower_problems}))
    return Generation(pkg, files, problems, len(catalog.documents))
