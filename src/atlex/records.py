"""Types of the record helpers on ``Client`` / ``AsyncClient``.

* :class:`RecordResult`: what ``client.get`` returns (``uri``, ``cid``, typed ``value``, ``raw``
  JSON); hand it back to ``client.put`` for a lossless read-modify-write.
* :class:`ListedRecord` / :class:`RecordPage`: items and pages of ``client.list`` /
  ``client.list_all``, each item marked ``valid`` or kept raw with its ``error``.
* :class:`Create`, :class:`Update`, :class:`Delete`: operations for ``client.apply_writes``.

Lossless read-modify-write: a record read with ``get`` (or ``list``), changed in place and
written with ``put`` (or an ``Update``) keeps every member the local lexicons do not define, on
the record and on every nested object that was kept; members of objects you replace, clear or
set are written as you left them. :func:`record_json` is the JSON such a write sends.
"""

from atlex._record_data import ListedRecord, RecordResult, record_json
from atlex._records import RecordPage
from atlex._writes import Create, Delete, Update, WriteOp

__all__ = [
    "Create",
    "Delete",
    "ListedRecord",
    "RecordPage",
    "RecordResult",
    "Update",
    "WriteOp",
    "record_json",
]
