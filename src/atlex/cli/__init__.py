"""The ``atlex`` command line: ``gen`` and ``lexicons`` (the generator), ``login``, ``call``,
``whoami`` and ``logout`` (the runtime).

Its libraries (click; jinja2 for ``gen``; dnspython for ``lexicons install``) come with the
``cli`` extra, not with ``pip install atlex``; without them ``atlex`` says what to install
instead of failing with a traceback. The click group itself is :data:`atlex.cli._app.cli`.
"""

from __future__ import annotations

import sys

from atlex.cli._extras import install_hint, missing_modules

__all__ = ["main"]


def main() -> None:
    """The ``atlex`` script."""
    missing = missing_modules(["click"])
    if missing:
        print(install_hint("The atlex command line", missing), file=sys.stderr)
        sys.exit(1)
    from atlex.cli._app import cli

    cli(prog_name="atlex")
