"""Helpers shared by the CLI tests: running ``atlex`` and reading its error block."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner, Result

from atlex.cli._app import cli as main


@dataclass
class Cli:
    """``cli("whoami")`` -> click ``Result`` (stdout in ``.stdout``, stderr in ``.stderr``)."""

    config_dir: Path
    env: dict[str, str | None]

    @property
    def session_file(self) -> Path:
        return self.config_dir / "session.json"

    def __call__(
        self, *args: str, input: str | bytes | None = None, env: dict[str, str] | None = None
    ) -> Result:
        return self.run(args, input=input, env=env)

    def run(
        self,
        args: Sequence[str],
        *,
        input: str | bytes | None = None,
        env: dict[str, str] | None = None,
    ) -> Result:
        runner = CliRunner()
        return runner.invoke(
            main, list(args), input=input, env={**self.env, **(env or {})}, prog_name="atlex"
        )


def error_of(result: Result) -> str:
    """The ``Error: ...`` / ``hint: ...`` block that ends stderr (progress lines may precede)."""
    _, found, error = result.stderr.partition("Error: ")
    assert found, result.stderr
    assert "\n  hint: " in error, result.stderr
    return error
