"""atlex.syntax beyond the interop vectors: Python regex pitfalls, check_format's contract,
and the CID parser."""

from __future__ import annotations

import base64
import hashlib

import pytest

from atlex import syntax
from atlex._cid import CODEC_DAG_CBOR, CODEC_RAW, HASH_SHA2_256, CidError, ParsedCid, parse_cid

VALID_EXAMPLES = {
    "at-identifier": "alice.bsky.social",
    "at-uri": "at://did:plc:abc123/app.bsky.feed.post/3jzfcijpj2z2a",
    "cid": "bafyreiclp443lavogvhj3d2ob2cxbfuscni2k5jk7bebjzg7khl3esabwq",
    "datetime": "2023-10-30T22:25:23.000Z",
    "did": "did:plc:7iza6de2dwap2sbkpav7c6c6",
    "handle": "alice.bsky.social",
    "language": "en-GB",
    "nsid": "app.bsky.feed.post",
    "record-key": "self",
    "tid": "3jzfcijpj2z2a",
    "uri": "https://example.com/a?b=c#d",
}


def test_examples_cover_every_format() -> None:
    assert set(VALID_EXAMPLES) == syntax.FORMAT_NAMES == set(syntax.FORMATS)


@pytest.mark.parametrize(("name", "value"), sorted(VALID_EXAMPLES.items()))
def test_examples_are_valid(name: str, value: str) -> None:
    assert syntax.FORMATS[name](value)
    assert syntax.check_format(name, value) is None


@pytest.mark.parametrize(("name", "value"), sorted(VALID_EXAMPLES.items()))
@pytest.mark.parametrize("suffix", ["\n", "\r\n", " ", "\x00"])
def test_a_trailing_newline_or_space_is_invalid(name: str, value: str, suffix: str) -> None:
    # Python's `$` matches before a final newline; the validators must not.
    assert not syntax.FORMATS[name](value + suffix)
    reason = syntax.check_format(name, value + suffix)
    assert reason is not None and reason.startswith(f"invalid {name}: ")


@pytest.mark.parametrize("name", sorted(VALID_EXAMPLES))
def test_the_empty_string_is_invalid(name: str) -> None:
    assert not syntax.FORMATS[name]("")
    assert syntax.check_format(name, "") is not None


def test_unicode_digits_and_letters_are_not_ascii() -> None:
    assert not syntax.is_valid_datetime(
        "\uff11\uff19\uff18\uff15-04-12T23:20:50.123Z"
    )  # full-width digits
    assert not syntax.is_valid_datetime("1985-04-12T23:20:5\u0660.123Z")  # Arabic-Indic zero
    assert not syntax.is_valid_tid("3jzfcijpj2z2\uff41")
    assert not syntax.is_valid_record_key("séance")
    assert not syntax.is_valid_nsid("app.bsky.feed.pøst")
    assert not syntax.is_valid_did("did:plc:abç")


def test_check_format_reasons() -> None:
    assert syntax.check_format("handle", "jo_hn.test") == (
        "invalid handle: label 'jo_hn' must be 1-63 ASCII letters, digits or hyphens, "
        "not starting or ending with a hyphen"
    )
    assert syntax.check_format("datetime", "2023-02-29T00:00:00Z") == (
        "invalid datetime: day 29 does not exist in 2023-02"
    )
    assert syntax.check_format("datetime", "2023-02-12T24:00:00Z") == (
        "invalid datetime: hour 24 is out of range"
    )
    assert syntax.check_format("datetime", "2023-02-12T23:00:00") == (
        "invalid datetime: must end with a timezone: upper-case Z or a ±HH:MM offset"
    )
    assert syntax.check_format("did", "did:web:") == (
        "invalid did: the identifier after the method is empty"
    )
    assert syntax.check_format("cid", "QmbWqxBEKC3P8tqsKc98xmWNzrzDtRLMiMPL8wBuTGsMnR") == (
        "invalid cid: CIDv0 is not allowed"
    )
    assert syntax.check_format("tid", 12345) == "invalid tid: expected a string, got int"


def test_check_format_rejects_an_unknown_format_name() -> None:
    with pytest.raises(ValueError, match="unknown Lexicon string format 'email'"):
        syntax.check_format("email", "a@b.c")


def test_formats_table_is_read_only() -> None:
    with pytest.raises(TypeError):
        syntax.FORMATS["did"] = syntax.is_valid_handle  # type: ignore[index]


def test_length_limits_are_exact() -> None:
    did = "did:web:" + "a" * (2048 - 8)
    assert syntax.is_valid_did(did) and not syntax.is_valid_did(did + "a")
    label = "a" * 63
    handle = ".".join([label, label, label, "a" * 61])  # 253 characters
    assert len(handle) == 253 and syntax.is_valid_handle(handle)
    assert not syntax.is_valid_handle("a" + handle)
    assert syntax.is_valid_record_key("k" * 512) and not syntax.is_valid_record_key("k" * 513)
    uri = "https://example.com/" + "x" * (8192 - 20)
    assert syntax.is_valid_uri(uri) and not syntax.is_valid_uri(uri + "x")


def test_at_uri_parts_are_checked_in_order() -> None:
    assert syntax.is_valid_at_uri("at://alice.test")
    assert syntax.is_valid_at_uri("at://alice.test/app.bsky.feed.post")
    assert syntax.check_format("at-uri", "at://alice.test/app.bsky.feed.post/a b") == (
        "invalid at-uri: the record key 'a b' is not valid"
    )
    assert not syntax.is_valid_at_uri("at://alice.test/app.bsky.feed.post/rkey?x=1")
    assert not syntax.is_valid_at_uri("at://alice.test/app.bsky.feed.post/rkey#/x")


def test_language_grandfathered_and_private_use() -> None:
    assert syntax.is_valid_language("i-klingon")
    assert syntax.is_valid_language("x-whatever")
    assert syntax.is_valid_language("en-x-a-a")  # repeats after x- are private use
    assert not syntax.is_valid_language("EN")
    assert not syntax.is_valid_language("en-US-x")


def test_datetime_calendar() -> None:
    assert syntax.is_valid_datetime("2000-02-29T00:00:00Z")  # divisible by 400
    assert not syntax.is_valid_datetime("1900-02-29T00:00:00Z")  # divisible by 100
    assert syntax.is_valid_datetime("0000-02-29T00:00:00Z")  # year 0 is a leap year
    assert not syntax.is_valid_datetime("2023-04-31T00:00:00Z")
    assert not syntax.is_valid_datetime("2023-04-30T23:59:60Z")  # no leap seconds
    assert syntax.is_valid_datetime("0000-01-01T01:00:00+01:00")  # exactly year 0 in UTC
    assert not syntax.is_valid_datetime("0000-01-01T00:59:59+01:00")
    assert syntax.is_valid_datetime("9999-12-31T23:59:59-12:00")  # past 9999 is allowed
    assert not syntax.is_valid_datetime("2023-01-01T00:00:00." + "1" * 50 + "Z")  # > 64 chars


# --- the CID parser ----------------------------------------------------------------------

DIGEST = hashlib.sha256(b"atlex").digest()


def b32(data: bytes) -> str:
    return "b" + base64.b32encode(data).decode().rstrip("=").lower()


def test_cid_round_trips_canonically() -> None:
    cid = ParsedCid(1, CODEC_RAW, HASH_SHA2_256, DIGEST)
    text = str(cid)
    assert text.startswith("bafkrei")
    assert parse_cid(text) == cid
    assert syntax.is_valid_cid(text)
    assert str(ParsedCid(1, CODEC_DAG_CBOR, HASH_SHA2_256, DIGEST)).startswith("bafyrei")


def test_cid_other_multibase_forms_decode_to_the_same_cid() -> None:
    cid = ParsedCid(1, CODEC_DAG_CBOR, HASH_SHA2_256, DIGEST)
    raw = cid.to_bytes()
    assert parse_cid("B" + str(cid)[1:].upper()) == cid
    assert parse_cid("f" + raw.hex()) == cid
    assert parse_cid("F" + raw.hex().upper()) == cid
    assert parse_cid("m" + base64.b64encode(raw).decode().rstrip("=")) == cid
    assert parse_cid("u" + base64.urlsafe_b64encode(raw).decode().rstrip("=")) == cid
    number = int.from_bytes(raw, "big")
    digits = ""
    while number:
        number, d = divmod(number, 36)
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"[d] + digits
    assert parse_cid("k" + digits) == cid
    # base58btc, checked against a known pair from the interop vectors
    v1 = parse_cid("zdj7WWeQ43G6JJvLWQWZpyHuAMq6uYWRjkBXFad11vE2LHhQ7")
    assert (v1.version, v1.hash_code, len(v1.digest)) == (1, HASH_SHA2_256, 32)


def test_cidv0() -> None:
    v0 = parse_cid("QmbWqxBEKC3P8tqsKc98xmWNzrzDtRLMiMPL8wBuTGsMnR")
    assert (v0.version, v0.hash_code, len(v0.digest)) == (0, HASH_SHA2_256, 32)
    assert str(v0) == "QmbWqxBEKC3P8tqsKc98xmWNzrzDtRLMiMPL8wBuTGsMnR"
    assert not syntax.is_valid_cid(str(v0))  # parseable, but not allowed as a Lexicon cid


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty string"),
        ("b", "nothing after the multibase prefix"),
        (".", "unsupported multibase prefix '.'"),
        ("xafyrei", "unsupported multibase prefix 'x'"),
        (b32(bytes([1, 0x71, 0x12, 0x20]) + DIGEST[:31]), "digest is 31 bytes, its header says 32"),
        (b32(bytes([1, 0x71, 0x12, 0x20]) + DIGEST + b"\0"), "digest is 33 bytes"),
        (b32(bytes([2, 0x71, 0x12, 0x20]) + DIGEST), "unsupported CID version 2"),
        (b32(bytes([1, 0xF1, 0x00, 0x12, 0x20]) + DIGEST), "non-minimal varint in codec"),
        (b32(bytes([1, 0xFF] + [0xFF] * 9)), "codec varint longer than 9 bytes"),
        (b32(bytes([1, 0x71])), "truncated multihash code"),
        ("bafyreiclp443lavogvhj3d2ob2cxbfuscni2k5jk7bebjzg7khl3esabwr", "not canonical"),
        ("bafyreiclp443lavogvhj3d2ob2cxbfuscni2k5jk7bebjzg7khl3esabwQ", "base32 character"),
        ("bafyreiclp443lavogvhj3d2ob2cxbfuscni2k5jk7bebjzg7khl3esab1q", "base32 character"),
        ("bafyreiclp443lavogvhj3d2ob2cxbfuscni2k5jk7bebjzg7khl3esabwqa", "base32 length"),
        ("z0dj7WWeQ43G6JJvLWQWZpyHuAMq6uYWRjkBXFad11vE2LHhQ7", "'0' is not base58btc"),
        ("f01711220" + "ab" * 31 + "a", "invalid base16"),
        ("mAXF", "non-zero padding bits"),
    ],
)
def test_cid_parse_errors(text: str, message: str) -> None:
    with pytest.raises(CidError, match=message):
        parse_cid(text)


def test_a_b32_cid_must_parse_to_be_valid() -> None:
    # Syntax alone would pass these; the blessed base32 form is parsed in full.
    truncated = "bafyreiclp443lavogvhj3d2ob2cxbfuscni2k5jk7bebjzg7khl3esab"
    assert not syntax.is_valid_cid(truncated)
    reason = syntax.check_format("cid", truncated)
    assert reason is not None and reason.startswith("invalid cid: ")
    assert not syntax.is_valid_cid("bafyfoobarbazquxquux")
