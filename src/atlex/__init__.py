"""atlex: a typed, fast Python SDK for the AT Protocol, generated from Lexicon schemas.

Everything is exported lazily (PEP 562) so that ``import atlex`` costs next to nothing and
``atlex.Client(...)`` loads no generated type module.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> "module:attribute". Each line is owned by the module it points to.
_LAZY: dict[str, str] = {
    "decode": "atlex._codec:decode",
    "convert": "atlex._codec:convert",
    "encode": "atlex._codec:encode",
    "record_as": "atlex._lazy:record_as",
    "Unknown": "atlex._model:Unknown",
    "SchemaMismatchError": "atlex._codec:SchemaMismatchError",
    "MalformedJsonError": "atlex._codec:MalformedJsonError",
    "Client": "atlex.lex.client:Client",
    "AsyncClient": "atlex.lex.client:AsyncClient",
    "Agent": "atlex._agent:Agent",
    "AsyncAgent": "atlex._agent:AsyncAgent",
    "CallOptions": "atlex._headers:CallOptions",
    "PasswordSession": "atlex.session:PasswordSession",
    "AsyncPasswordSession": "atlex.session:AsyncPasswordSession",
    "SessionData": "atlex.session:SessionData",
    "UNSET": "msgspec:UNSET",
    "UnsetType": "msgspec:UnsetType",
    "LexObject": "atlex._model:LexObject",
    "LexValidationError": "atlex.errors:LexValidationError",
    "Blob": "atlex._model:Blob",
    "Bytes": "atlex._model:Bytes",
    "CidLink": "atlex._model:CidLink",
    "now": "atlex._datetime:now",
    "parse_datetime": "atlex._datetime:parse_datetime",
    "format_datetime": "atlex._datetime:format_datetime",
    "next_tid": "atlex._tid:next_tid",
    "grapheme_len": "atlex.datamodel:grapheme_len",
    "utf8_len": "atlex.datamodel:utf8_len",
    "check_data_model": "atlex.datamodel:check_data_model",
    "paginate": "atlex._paginate:paginate",
}

if TYPE_CHECKING:  # what type checkers and IDEs see
    from msgspec import UNSET as UNSET
    from msgspec import UnsetType as UnsetType

    from atlex._agent import Agent as Agent
    from atlex._agent import AsyncAgent as AsyncAgent
    from atlex._codec import MalformedJsonError as MalformedJsonError
    from atlex._codec import SchemaMismatchError as SchemaMismatchError
    from atlex._codec import convert as convert
    from atlex._codec import decode as decode
    from atlex._codec import encode as encode
    from atlex._datetime import format_datetime as format_datetime
    from atlex._datetime import now as now
    from atlex._datetime import parse_datetime as parse_datetime
    from atlex._headers import CallOptions as CallOptions
    from atlex._lazy import record_as as record_as
    from atlex._model import Blob as Blob
    from atlex._model import Bytes as Bytes
    from atlex._model import CidLink as CidLink
    from atlex._model import LexObject as LexObject
    from atlex._model import Unknown as Unknown
    from atlex._paginate import paginate as paginate
    from atlex._tid import next_tid as next_tid
    from atlex.datamodel import check_data_model as check_data_model
    from atlex.datamodel import grapheme_len as grapheme_len
    from atlex.datamodel import utf8_len as utf8_len
    from atlex.errors import LexValidationError as LexValidationError
    from atlex.lex.client import AsyncClient as AsyncClient
    from atlex.lex.client import Client as Client
    from atlex.session import AsyncPasswordSession as AsyncPasswordSession
    from atlex.session import PasswordSession as PasswordSession
    from atlex.session import SessionData as SessionData


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'atlex' has no attribute {name!r}")
    module_name, _, attr = target.partition(":")
    value = getattr(importlib.import_module(module_name), attr)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
