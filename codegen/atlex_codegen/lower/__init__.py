"""Stage 2: catalog -> IR. Resolves refs, names everything, decides types and imports.

* :mod:`.lowerer`: the driver; names symbols, lowers objects, records and methods;
* :mod:`.types`: a schema at a place -> IR type expression and ``validate()`` rules;
* :mod:`.layout`: module names and paths, the namespace tree and client, package inits.
"""

from atlex_codegen.lower.lowerer import catalog_digest, lower

__all__ = ["catalog_digest", "lower"]
