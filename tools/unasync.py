"""Write the sync twin of an async module: a token-level transform (like encode/httpcore's
``unasync``), never regular expressions over text.

The rule, for the code it reads:

* ``async`` before ``def`` / ``for`` / ``with`` and every ``await`` are dropped;
* each name in :data:`RENAMES` becomes its sync counterpart wherever it is a name token
  (``AsyncClient`` -> ``Client``, ``aclose`` -> ``close``, ``__aenter__`` -> ``__enter__``, ...),
  and where a string literal is exactly such a name (forward references);
* nothing else changes: docstrings and comments are copied as written, so they must read right
  in both twins (say "the client", not "await the client").

Usage: ``python tools/unasync.py`` rewrites every pair in :data:`PAIRS` (``make unasync``);
``--check`` exits 1 when a sync twin differs from what its async source gives.
The sync output is passed through ``ruff check --select I --fix`` and ``ruff format`` so the
import order and line wrapping match the rest of the tree.
"""

from __future__ import annotations

import io
import subprocess
import sys
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# async source -> generated sync twin
PAIRS = {
    "src/atlex/_client_async.py": "src/atlex/_client_sync.py",
    "src/atlex/session/_async.py": "src/atlex/session/_sync.py",
    "src/atlex/oauth/_async.py": "src/atlex/oauth/_sync.py",
    "src/atlex/identity/_async.py": "src/atlex/identity/_sync.py",
    "src/atlex/_actions_async.py": "src/atlex/_actions_sync.py",
    "src/atlex/streams/_async.py": "src/atlex/streams/_sync.py",
}

RENAMES = {
    "AsyncClient": "Client",
    "AsyncAgent": "Agent",
    "AsyncServiceAgent": "ServiceAgent",
    "AsyncNode": "SyncNode",
    "AsyncActions": "SyncActions",
    "AsyncBaseTransport": "BaseTransport",
    "AsyncIterator": "Iterator",
    "AsyncIterable": "Iterable",
    "AsyncGenerator": "Generator",
    "asynccontextmanager": "contextmanager",
    "aread": "read",
    "aclose": "close",
    "aiter_bytes": "iter_bytes",
    "__aenter__": "__enter__",
    "__aexit__": "__exit__",
    "__aiter__": "__iter__",
    "__anext__": "__next__",
    "async_sleep": "sleep",
    "_async_sleep": "_sleep",
    "_A": "_C",
    # sessions (session/_async.py, oauth/_async.py); the primitives are in session/_io.py
    "_async": "_sync",
    "AsyncPasswordSession": "PasswordSession",
    "AsyncDataHook": "DataHook",
    "AsyncFailureHook": "FailureHook",
    "AsyncIdentityResolver": "IdentityResolver",
    "AsyncEvent": "ThreadEvent",
    "async_run_to_end": "run_to_end",
    "async_call_hook": "call_hook",
    "async_awaited": "awaited",
    "async_http_send": "http_send",
    "AsyncOAuthClient": "OAuthClient",
    "AsyncOAuthSession": "OAuthSession",
    "AsyncOAuthDataHook": "OAuthDataHook",
    "AsyncOAuthFailureHook": "OAuthFailureHook",
    "AnyStateStore": "StateStore",
    "AnySessionStore": "SessionStore",
    "AnyIdentityResolver": "IdentityResolver",
    "default_async_resolver": "default_resolver",
    # identity resolver (identity/_async.py); the primitives are in identity/_io.py
    "AsyncTxtResolver": "TxtResolver",
    "AsyncBackground": "ThreadBackground",
    "async_fetch": "fetch",
    # everyday actions (_actions_async.py)
    "_actions_async": "_actions_sync",
    "drive_async": "drive",
    # event streams (streams/_async.py); the websocket is streams/_io.py
    "AsyncStream": "Stream",
    "AsyncSocket": "ThreadSocket",
    "AsyncAfterHook": "AfterHook",
    "AsyncCloseHook": "CloseHook",
    "StopAsyncIteration": "StopIteration",
}

_DROPPED = {"async", "await"}


def header(source: str) -> str:
    return (
        f"# Generated from {source} by tools/unasync.py (`make unasync`): do not edit.\n"
        "# Edit the async source; a test fails when this file has drifted from it.\n"
    )


def transform(text: str) -> str:
    """The sync text of the async module ``text`` (before formatting)."""
    lines = text.splitlines(keepends=True)
    edits: list[tuple[int, int, int, str]] = []  # row, start col, end col, replacement
    tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    for i, tok in enumerate(tokens):
        (row, col), (end_row, end_col) = tok.start, tok.end
        if tok.type == tokenize.NAME and tok.string in _DROPPED:
            nxt = tokens[i + 1]
            if nxt.start[0] == row:  # drop the keyword and the space after it
                edits.append((row, col, nxt.start[1], ""))
            else:
                edits.append((row, col, end_col, ""))
        elif tok.type == tokenize.NAME and tok.string in RENAMES:
            edits.append((row, col, end_col, RENAMES[tok.string]))
        elif tok.type == tokenize.STRING and row == end_row:
            quote = tok.string[0]
            inner = tok.string[1:-1]
            if tok.string[-1] == quote and inner in RENAMES:
                edits.append((row, col, end_col, quote + RENAMES[inner] + quote))
    for row, start, end, new in sorted(edits, reverse=True):
        line = lines[row - 1]
        lines[row - 1] = line[:start] + new + line[end:]
    return "".join(lines)


def _ruff(*args: str, text: str, name: str) -> str:
    ruff = Path(sys.executable).parent / "ruff"
    done = subprocess.run(
        [str(ruff), *args, "--stdin-filename", name, "-"],
        input=text,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if done.returncode not in (0, 1) or not done.stdout:
        raise RuntimeError(f"ruff {' '.join(args)} failed on {name}: {done.stderr}")
    return done.stdout


def sync_twin(source: str, target: str) -> str:
    """The formatted text of ``target`` as ``source`` gives it."""
    text = header(source) + transform((ROOT / source).read_text(encoding="utf-8"))
    text = _ruff("check", "--select", "I", "--fix", "--quiet", text=text, name=target)
    return _ruff("format", "--quiet", text=text, name=target)


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale: list[str] = []
    for source, target in PAIRS.items():
        want = sync_twin(source, target)
        path = ROOT / target
        have = path.read_text(encoding="utf-8") if path.exists() else None
        if have == want:
            continue
        if check:
            stale.append(target)
        else:
            path.write_text(want, encoding="utf-8")
            print(f"wrote {target}", file=sys.stderr)
    for target in stale:
        print(f"{target} has drifted from its async source: run `make unasync`", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
