"""Which DAG-CBOR library atlex's firehose uses: speed on real commit frames and correctness on
the interop ``data-model`` fixtures, for ``libipld``, ``cbrrr`` and ``cbor2``.

Speed: every frame of a captured ``subscribeRepos`` stream decoded to Python values (header,
body, then every block of the body's CAR slice), links told apart from byte strings. libipld
splits the CAR itself (Rust); for cbrrr and cbor2, which have no CAR reader, atlex's
``atlex.repo.car.read_car`` splits it. Correctness: for every fixture, bytes -> value equals the fixture's JSON form,
value -> bytes equals the fixture's bytes, and sha2-256 of those bytes gives the fixture's CID.

    python -m bench.cbor_libs --frames .cache/bench/firehose.frames

Run once to choose (results in bench/FINDINGS.md); ``make bench`` does not run it.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from atlex.repo.car import read_car
from bench.firehose_capture import read_frames

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "interop" / "data-model"


def _b32(raw: bytes) -> str:
    return "b" + base64.b32encode(raw).decode().lower().rstrip("=")


# --- the three candidates, each: frame -> (header, body, {cid: block value}) ------------


def _cbrrr_decoder() -> Callable[[bytes], Any]:
    import cbrrr._cbrrr as native  # pyright: ignore

    decode = native.decode_dag_cbor

    def run(frame: bytes) -> Any:
        header, n = decode(frame, None, True)
        body, _ = decode(memoryview(frame)[n:], None, True)
        blocks = {}
        if "blocks" in body:
            car = base64.b64decode(body["blocks"]["$bytes"] + "==")
            for cid, block in read_car(car).blocks.items():
                blocks[cid] = decode(block, None, True)[0]
        return header, body, blocks

    return run


def _libipld_decoder() -> Callable[[bytes], Any]:
    import libipld

    def run(frame: bytes) -> Any:
        header, body = libipld.decode_dag_cbor_multi(frame)
        blocks = libipld.decode_car(body["blocks"])[1] if "blocks" in body else {}
        return header, body, blocks

    return run


def _cbor2_decoder() -> Callable[[bytes], Any]:
    import cbor2

    def tag_hook(tag: Any, _immutable: bool) -> Any:  # cbor2 6: (tag, immutable)
        if tag.tag == 42:
            return {"$link": _b32(tag.value[1:])}
        return tag

    def run(frame: bytes) -> Any:
        stream = io.BytesIO(frame)
        decoder = cbor2.CBORDecoder(stream, tag_hook=tag_hook)
        header = decoder.decode()
        body = decoder.decode()
        blocks = {}
        if "blocks" in body:
            for cid, block in read_car(body["blocks"]).blocks.items():
                blocks[cid] = cbor2.loads(block, tag_hook=tag_hook)
        return header, body, blocks

    return run


DECODERS: dict[str, Callable[[], Callable[[bytes], Any]]] = {
    "cbrrr": _cbrrr_decoder,
    "libipld": _libipld_decoder,
    "cbor2": _cbor2_decoder,
}


def speed(frames: list[bytes], rounds: int) -> dict[str, float]:
    """Frames per second (median of ``rounds``) for each library."""
    rates: dict[str, float] = {}
    for name, make in DECODERS.items():
        run = make()
        times: list[float] = []
        for _ in range(rounds):
            started = time.perf_counter()
            for frame in frames:
                run(frame)
            times.append(time.perf_counter() - started)
        rates[name] = len(frames) / statistics.median(times)
    return rates


# --- correctness on the interop fixtures --------------------------------------------------


def _fixtures() -> list[dict[str, Any]]:
    return json.loads((FIXTURES / "data-model-fixtures.json").read_bytes())


def _cid_of(data: bytes) -> str:
    return _b32(b"\x01\x71\x12\x20" + hashlib.sha256(data).digest())


def _unpadded(raw: str) -> bytes:
    return base64.b64decode(raw + "=" * (-len(raw) % 4))


def _check_cbrrr(fixture: dict[str, Any]) -> list[str]:
    import cbrrr

    raw = _unpadded(fixture["cbor_base64"])
    problems: list[str] = []
    value = cbrrr.decode_dag_cbor(raw, atjson_mode=True)
    if value != fixture["json"]:
        problems.append("decode differs from the JSON form")
    encoded = cbrrr.encode_dag_cbor(fixture["json"], atjson_mode=True)
    if encoded != raw:
        problems.append("encode differs from the fixture bytes")
    if _cid_of(encoded) != fixture["cid"]:
        problems.append("CID differs")
    return problems


def _check_libipld(fixture: dict[str, Any]) -> list[str]:
    import libipld

    raw = _unpadded(fixture["cbor_base64"])
    problems: list[str] = []
    value = libipld.decode_dag_cbor(raw)
    text = json.dumps(fixture["json"])
    if ('"$link"' in text or '"$bytes"' in text) and "$link" not in json.dumps(value, default=str):
        problems.append("decode: links and byte strings both come out as bytes (ambiguous)")
    # no public way to encode a link: a JSON-form value can only be written with links as maps
    if '"$link"' in text:
        problems.append("encode: cannot write a CID (tag 42) from Python values")
    elif libipld.encode_dag_cbor(fixture["json"]) != raw:
        problems.append("encode differs from the fixture bytes")
    return problems


def _check_cbor2(fixture: dict[str, Any]) -> list[str]:
    import cbor2

    raw = _unpadded(fixture["cbor_base64"])
    problems: list[str] = []

    def tag_hook(tag: Any, _immutable: bool) -> Any:  # cbor2 6: (tag, immutable)
        return {"$link": _b32(tag.value[1:])} if tag.tag == 42 else tag

    def to_cbor(value: Any) -> Any:
        if isinstance(value, dict):
            if set(value) == {"$link"}:
                from base64 import b32decode

                text = value["$link"][1:].upper()
                return cbor2.CBORTag(42, b"\x00" + b32decode(text + "=" * (-len(text) % 8)))
            if set(value) == {"$bytes"}:
                return _unpadded(value["$bytes"])
            return {k: to_cbor(v) for k, v in value.items()}
        if isinstance(value, list):
            return [to_cbor(v) for v in value]
        return value

    def to_json(value: Any) -> Any:
        if isinstance(value, bytes):
            return {"$bytes": base64.b64encode(value).decode().rstrip("=")}
        if isinstance(value, dict):
            return value if set(value) == {"$link"} else {k: to_json(v) for k, v in value.items()}
        if isinstance(value, list):
            return [to_json(v) for v in value]
        return value

    if to_json(cbor2.loads(raw, tag_hook=tag_hook)) != fixture["json"]:
        problems.append("decode differs from the JSON form")
    # DAG-CBOR map order: length first, then bytewise (cbor2's canonical mode sorts that way)
    encoded = cbor2.dumps(to_cbor(fixture["json"]), canonical=True)
    if encoded != raw:
        problems.append("encode differs from the fixture bytes")
    if _cid_of(encoded) != fixture["cid"]:
        problems.append("CID differs")
    return problems


CHECKS: dict[str, Callable[[dict[str, Any]], list[str]]] = {
    "cbrrr": _check_cbrrr,
    "libipld": _check_libipld,
    "cbor2": _check_cbor2,
}


def correctness() -> dict[str, tuple[int, int, list[str]]]:
    """library -> (fixtures agreeing, fixtures, problems)."""
    fixtures = _fixtures()
    out: dict[str, tuple[int, int, list[str]]] = {}
    for name, check in CHECKS.items():
        problems: list[str] = []
        good = 0
        for i, fixture in enumerate(fixtures):
            found = check(fixture)
            good += not found
            problems += [f"#{i}: {p}" for p in found]
        out[name] = (good, len(fixtures), problems)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    frames = read_frames(args.frames)
    rates = speed(frames, args.rounds)
    checks = correctness()
    print(f"{len(frames)} frames, {sum(map(len, frames)) / 1e6:.1f} MB")
    print("| library | frames/s (header+body+CAR blocks) | data-model fixtures agreeing |")
    print("| --- | ---: | --- |")
    for name in DECODERS:
        good, total, problems = checks[name]
        note = f"{good}/{total}" + (f" ({'; '.join(problems)})" if problems else "")
        print(f"| {name} | {rates[name]:,.0f} | {note} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
