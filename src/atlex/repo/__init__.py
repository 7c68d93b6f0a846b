"""Repository data: DAG-CBOR, CAR files and Merkle Search Trees (the AT Protocol repo format).

``dagcbor`` decodes and encodes DAG-CBOR (through the ``cbrrr`` library, chosen by measurement:
bench/FINDINGS.md), ``car`` reads CAR v1 files into blocks by CID, ``mst`` builds, diffs and
edits Merkle Search Trees and checks the sync 1.1 inductive proof of a commit.

Links come out as :class:`atlex.CidLink` strings' form ``{"$link": ...}`` in JSON-form values and
as CID strings elsewhere; byte strings as ``{"$bytes": ...}``, exactly the JSON form every other
atlex decoder reads (so ``atlex.convert(value, post.Record)`` types a decoded record).
"""
