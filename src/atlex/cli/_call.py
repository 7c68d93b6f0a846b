"""``atlex call NSID [KEY=VALUE ...]``: any XRPC method, JSON out.

Authenticated through the session of ``atlex login`` (refreshed and saved back as needed), or
anonymous against ``--service URL``. Parameters are typed by the lexicon when the NSID is in
the bundled bindings (:mod:`atlex.cli._call_params`). JSON answers are printed with the
token fields redacted; binary answers go to ``--output``.
"""

from __future__ import annotations

import json
import mimetypes
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import click

from atlex.cli._errors import EXIT_CODES_HELP, CliError, ExitCode, redact, xrpc_failure

if TYPE_CHECKING:
    from collections.abc import Iterator

    from atlex._method import Method
    from atlex._model import LexObject

__all__ = ["call_command", "redact_json"]

_TOKEN_KEYS = frozenset({"accessJwt", "refreshJwt"})


def redact_json(value: Any) -> Any:
    """``value`` with every ``accessJwt`` / ``refreshJwt`` member replaced by ``<redacted>``."""
    if isinstance(value, dict):
        items = cast("dict[str, Any]", value).items()
        return {k: "<redacted>" if k in _TOKEN_KEYS else redact_json(v) for k, v in items}
    if isinstance(value, list):
        return [redact_json(v) for v in cast("list[Any]", value)]
    return value


@click.command("call", epilog=EXIT_CODES_HELP)
@click.argument("nsid")
@click.argument("params", nargs=-1, metavar="[KEY=VALUE]...")
@click.option(
    "--input",
    "-i",
    "input_arg",
    metavar="JSON|@FILE|@-",
    help="The request body: JSON text, or @FILE / @- (stdin). A method with a binary body "
    "(uploadBlob ...) sends the file's bytes.",
)
@click.option(
    "--content-type",
    metavar="MIME",
    help="Send --input @FILE as raw bytes of this type (default: guessed from the file name).",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help="Write the answer to this file (needed for a binary answer; '-' is stdout).",
)
@click.option(
    "--service",
    metavar="URL",
    help="Call this service anonymously instead of with the stored session "
    "(e.g. https://public.api.bsky.app).",
)
@click.option(
    "--proxy",
    metavar="DID#SERVICE",
    help="Ask the PDS to forward the call (atproto-proxy), e.g. did:web:api.bsky.chat#bsky_chat.",
)
@click.option(
    "--procedure",
    is_flag=True,
    help="Send a POST without a body (only needed for a method atlex does not know).",
)
@click.option(
    "--any-method",
    is_flag=True,
    help="Send NSID as given even when it looks like a typo of a method atlex knows "
    "(e.g. a method newer than atlex's lexicons).",
)
@click.option("--compact", is_flag=True, help="Print JSON on one line.")
def call_command(
    nsid: str,
    params: tuple[str, ...],
    input_arg: str | None,
    content_type: str | None,
    output: Path | None,
    service: str | None,
    proxy: str | None,
    procedure: bool,
    any_method: bool,
    compact: bool,
) -> None:
    """Call the XRPC method NSID and print its JSON answer.

    Parameters are KEY=VALUE; repeat a key for a list. For the methods atlex bundles they are
    checked and typed by the lexicon (limit=5 is a number; an unknown key is an error).
    Queries are sent as GET; procedures (and any call with --input) as POST.
    Tokens are never printed: JWT-shaped values in the answer show as <redacted>.

    \b
    Examples:
      atlex call app.bsky.feed.getTimeline limit=5
      atlex call app.bsky.actor.getProfile actor=alice.bsky.social
      atlex call com.atproto.repo.createRecord --input @record.json
      atlex call com.atproto.repo.uploadBlob --input @cat.png
      atlex call com.atproto.sync.getBlob did=did:plc:... cid=bafk... --output blob.bin
      atlex call app.bsky.actor.getProfile actor=bsky.app --service https://public.api.bsky.app
    """
    from atlex.cli._call_params import ParamsError, parse_params
    from atlex.syntax import check_format

    # every local check comes before anything is sent: a procedure must not run when its
    # answer cannot be kept, or a retry would do it twice
    if not any_method:
        nsid = _known_spelling(nsid)
    if output is not None:
        _check_output_path(output)
    problem = check_format("nsid", nsid)
    if problem is not None:
        raise CliError(
            problem, hint="an NSID looks like app.bsky.feed.getTimeline", code=ExitCode.USAGE
        )
    try:
        parsed = parse_params(nsid, params)
    except ParamsError as exc:
        raise CliError(str(exc), hint="see the method's lexicon", code=ExitCode.USAGE) from None
    method = parsed.method
    body = _read_input(nsid, input_arg, content_type, method)
    if method is not None and body is not None:
        _check_input(nsid, method, body)
    is_procedure = (
        procedure or body is not None or (method is not None and method.kind == "procedure")
    )
    if method is not None and method.kind == "query" and (body is not None or procedure):
        raise CliError(
            f"{nsid} is a query: it takes no request body",
            hint="drop --input/--procedure and pass parameters as KEY=VALUE",
            code=ExitCode.USAGE,
        )
    result = _call(nsid, parsed.params, body, is_procedure, service, proxy)
    _write_result(result, output, compact)


def _known_spelling(nsid: str) -> str:
    """``nsid`` as the lexicons spell it; a likely typo of a known method is refused."""
    from atlex.cli._call_params import bundled_method
    from atlex.cli._methods import installed_nsids, known_methods, look_up

    if bundled_method(nsid) is not None:  # the common case, without reading any list
        return nsid
    found = look_up(nsid, known_methods() | installed_nsids())
    if found.respelled:
        click.echo(f"note: {nsid} means {found.nsid}", err=True)
        return found.nsid
    if found.suggestions:
        raise CliError(
            f"atlex knows no method {nsid}; did you mean {' or '.join(found.suggestions)}?",
            hint="fix the name, or pass --any-method to send it as it is (for a method newer "
            "than atlex's lexicons)",
            code=ExitCode.USAGE,
        )
    return nsid


def _check_output_path(output: Path) -> None:
    """Fail now if the answer could not be written to ``--output``."""
    if str(output) == "-":
        return
    folder = output.parent
    if not folder.is_dir():
        raise CliError(
            f"cannot write --output {output}: no such folder {folder}",
            hint="create the folder or choose another path (nothing was sent)",
            code=ExitCode.USAGE,
        )
    writable = os.access(output, os.W_OK) if output.exists() else os.access(folder, os.W_OK)
    if not writable:
        raise CliError(
            f"cannot write --output {output}: permission denied",
            hint="choose a path you can write (nothing was sent)",
            code=ExitCode.USAGE,
        )


def _check_input(nsid: str, method: Method, body: Any) -> None:
    """A JSON body against the method's lexicon, like the parameters (records inside too)."""
    from atlex._checks import check_input, reanchor
    from atlex._tolerant import SchemaMismatchError, convert_tolerant
    from atlex.errors import LexValidationError

    def refuse(reason: str) -> CliError:
        return CliError(
            f"{nsid}: --input: {reason}", hint="see the method's lexicon", code=ExitCode.USAGE
        )

    try:
        check_input(method, body)
    except LexValidationError as exc:
        raise refuse(exc.message.removeprefix(f"invalid input for {method.nsid}: ")) from None
    # records given as JSON (createRecord's record ...) are checked by their $type too
    for path, record_type, raw in _known_records(body, "$"):
        try:
            typed = convert_tolerant(raw, record_type)
        except SchemaMismatchError as exc:
            raise refuse(f"{exc.reason} at {path}{exc.path[1:]}") from None
        try:
            typed.validate()
        except LexValidationError as exc:
            raise refuse(reanchor(exc, path, "").message) from None


def _known_records(value: Any, path: str) -> Iterator[tuple[str, type[LexObject], Any]]:
    """``(path, Record class, data)`` for each dict whose ``$type`` is a bundled record."""
    if isinstance(value, dict):
        mapping = cast("dict[str, Any]", value)
        kind = mapping.get("$type")
        record_type = _bundled_record(kind) if isinstance(kind, str) else None
        if record_type is not None:
            yield path, record_type, mapping
            return  # its nested records are checked by its own validate()
        for key, item in mapping.items():
            yield from _known_records(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(cast("list[Any]", value)):
            yield from _known_records(item, f"{path}[{i}]")


def _bundled_record(kind: str) -> type[LexObject] | None:
    from atlex._model import LexObject
    from atlex.cli._call_params import BUNDLED_PACKAGE, namespace_modules

    nsid = kind.removesuffix("#main")
    if "#" in nsid:
        return None
    for module in namespace_modules(BUNDLED_PACKAGE, nsid.split(".")):
        record: object = getattr(module, "Record", None)
        is_record = isinstance(record, type) and issubclass(record, LexObject)
        if is_record and getattr(module, "NSID", None) == nsid:
            return cast("type[LexObject]", record)
    return None


def _read_input(
    nsid: str, input_arg: str | None, content_type: str | None, method: Method | None
) -> Any:
    if input_arg is None:
        if content_type is not None:
            raise CliError(
                "--content-type needs --input @FILE", hint="name the file", code=ExitCode.USAGE
            )
        return None
    binary = content_type is not None or (method is not None and method.input == "binary")
    if not input_arg.startswith("@"):
        if binary:
            raise CliError(
                f"{nsid} takes raw bytes, not JSON text",
                hint="pass the data as --input @FILE",
                code=ExitCode.USAGE,
            )
        return _parse_json(input_arg.encode(), "--input")
    name = input_arg[1:]
    try:
        data = _stdin_bytes() if name == "-" else Path(name).read_bytes()
    except OSError as exc:
        raise CliError(
            f"cannot read --input file {name}: {exc.strerror}",
            hint="check the path",
            code=ExitCode.USAGE,
        ) from None
    if not binary:
        return _parse_json(data, name)
    from atlex._body import BinaryBody

    if content_type is None:
        guessed = mimetypes.guess_type(name)[0] if name != "-" else None
        declared = method.input_encoding if method is not None else None
        concrete = declared if declared and "*" not in declared else None
        content_type = concrete or guessed or "application/octet-stream"
    return BinaryBody(data, content_type)


def _stdin_bytes() -> bytes:
    with click.open_file("-", "rb") as stream:  # click's binary stdin, also under CliRunner
        return cast(bytes, stream.read())


def _parse_json(data: bytes, where: str) -> Any:
    try:
        return json.loads(data)
    except ValueError as exc:
        raise CliError(
            f"{where} is not valid JSON: {exc}",
            hint='quote it for the shell, e.g. --input \'{"repo": "..."}\', or use --input @FILE',
            code=ExitCode.USAGE,
        ) from None


def _call(
    nsid: str,
    params: dict[str, Any],
    body: Any,
    is_procedure: bool,
    service: str | None,
    proxy: str | None,
) -> Any:
    from atlex import Client
    from atlex.cli._session import open_session
    from atlex.oauth import OAuthSession
    from atlex.session import PasswordSession

    session: PasswordSession | OAuthSession | None = None
    try:
        if service is not None:
            client = Client(service, proxy=proxy)
        else:
            session = open_session()
            client = Client(session, proxy=proxy)
    except ValueError as exc:
        if session is not None:
            session.close()
        raise CliError(str(exc), hint="check --service / --proxy", code=ExitCode.USAGE) from None
    try:
        return client.call(nsid, params or None, body, procedure=is_procedure)
    except Exception as exc:
        raise xrpc_failure(exc, nsid) from None
    finally:
        client.close()
        if session is not None:
            session.close()


def _write_result(result: Any, output: Path | None, compact: bool) -> None:
    if result is None:
        if output is not None and str(output) != "-":
            output.write_bytes(b"")
        return
    if isinstance(result, bytes | bytearray):
        data = bytes(result)
        if output is None and sys.stdout.isatty():
            raise CliError(
                f"the answer is {len(data)} bytes of binary data",
                hint="pass --output FILE (or --output - to send it to a pipe)",
                code=ExitCode.USAGE,
            )
        _write_bytes(data, output)
        return
    indent = None if compact else 2
    text = redact(json.dumps(redact_json(result), indent=indent, ensure_ascii=False)) + "\n"
    _write_bytes(text.encode("utf-8"), output)


def _write_bytes(data: bytes, output: Path | None) -> None:
    if output is None or str(output) == "-":
        with click.open_file("-", "wb") as stream:  # stays open: it is stdout
            stream.write(data)
            stream.flush()
        return
    try:
        output.write_bytes(data)
    except OSError as exc:
        raise CliError(
            f"cannot write {output}: {exc.strerror}", hint="check the path", code=ExitCode.FAILED
        ) from None
    click.echo(f"wrote {len(data)} bytes to {output}", err=True)
