"""``python -m atlex.cli``: the ``atlex`` script."""

from atlex.cli import main

main()
