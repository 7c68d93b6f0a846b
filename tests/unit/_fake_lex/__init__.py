"""A hand-written slice shaped like the generated ``atlex.lex`` tree, for the client tests.

One type module per NSID (``Params`` / ``Input`` / ``Output`` / ``ERRORS``), one namespace module
with sync and async twins, and a client module, following the contract of ``atlex._ns``.
"""
