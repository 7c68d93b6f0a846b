"""Base58btc (the Bitcoin alphabet), the one multibase encoding atproto keys use (``z…``).

Written here rather than taken from a package: it is a dozen lines, and the ``base58`` package
on PyPI has been unmaintained since 2021 (a stale dependency costs more than this code).
"""

from __future__ import annotations

__all__ = ["b58decode", "b58encode"]

_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {char: value for value, char in enumerate(_ALPHABET)}


def b58decode(text: str) -> bytes:
    """The bytes of a base58btc string (ValueError names the first character not in the alphabet)."""
    number = 0
    for position, char in enumerate(text):
        digit = _INDEX.get(char)
        if digit is None:
            raise ValueError(f"{char!r} at position {position} is not a base58btc character")
        number = number * 58 + digit
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    zeros = len(text) - len(text.lstrip("1"))  # each leading '1' is a leading zero byte
    return b"\0" * zeros + body


def b58encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    chars: list[str] = []
    while number:
        number, digit = divmod(number, 58)
        chars.append(_ALPHABET[digit])
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(chars))
