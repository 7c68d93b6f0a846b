"""Datetime helpers (now / parse / format) and TID generation."""

from __future__ import annotations

import datetime as dt
import os
import threading
import time

import pytest

import atlex
from atlex import _tid, format_datetime, next_tid, now, parse_datetime
from atlex._tid import TidClock, decode_tid, encode_tid
from atlex.syntax import is_valid_datetime, is_valid_tid

UTC = dt.UTC


def test_now_is_a_utc_millisecond_datetime_string() -> None:
    before = dt.datetime.now(UTC).replace(microsecond=0) - dt.timedelta(seconds=1)
    stamp = now()
    after = dt.datetime.now(UTC) + dt.timedelta(seconds=1)
    assert is_valid_datetime(stamp)
    assert len(stamp) == len("2026-01-01T00:00:00.000Z") and stamp.endswith("Z")
    assert before <= parse_datetime(stamp) <= after
    assert atlex.now is now


def test_parse_keeps_the_offset_and_truncates_to_microseconds() -> None:
    parsed = parse_datetime("1985-04-12T23:20:50.1234567899-07:00")
    assert parsed == dt.datetime(
        1985, 4, 12, 23, 20, 50, 123456, tzinfo=dt.timezone(-dt.timedelta(hours=7))
    )
    assert parsed.utcoffset() == -dt.timedelta(hours=7)
    assert parse_datetime("1985-04-12T23:20:50Z").microsecond == 0
    assert parse_datetime("1985-04-12T23:20:50.1Z").microsecond == 100000
    assert parse_datetime("1985-04-12T23:20:50.999999999Z").second == 50  # never rounds up
    assert parse_datetime("0001-01-01T00:00:00+01:45").utcoffset() == dt.timedelta(
        hours=1, minutes=45
    )


@pytest.mark.parametrize(
    "text",
    [
        "1985-04-12T23:20:50.123",  # no zone: would be a naive datetime
        "1985-04-12T23:20:50.123+0000",
        "1985-04-12t23:20:50.123Z",
        "1985-04-12T23:20:50.123z",
        "1985-04-12T23:20:50.123-00:00",
        "1985-04-12 23:20:50.123Z",
        "1985-02-29T00:00:00Z",
        "1985-04-12T23:20:50.123Z\n",
    ],
)
def test_parse_is_strict_where_fromisoformat_is_not(text: str) -> None:
    with pytest.raises(ValueError, match="invalid datetime"):
        parse_datetime(text)


def test_parse_year_zero_says_why() -> None:
    with pytest.raises(ValueError, match="year 0, which Python's datetime cannot hold"):
        parse_datetime("0000-06-01T00:00:00Z")


def test_format_is_utc_milliseconds_z() -> None:
    plus2 = dt.timezone(dt.timedelta(hours=2))
    value = dt.datetime(2024, 1, 1, 1, 30, 0, 999999, tzinfo=plus2)
    assert format_datetime(value) == "2023-12-31T23:30:00.999Z"  # truncated, converted
    assert format_datetime(dt.datetime(5, 3, 4, 5, 6, 7, tzinfo=UTC)) == "0005-03-04T05:06:07.000Z"
    for text in ("1985-04-12T23:20:50.123Z", "2000-01-01T00:00:00.000Z"):
        assert format_datetime(parse_datetime(text)) == text


def test_format_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        format_datetime(dt.datetime(2024, 1, 1))


# --- TIDs ----------------------------------------------------------------------------


def test_encode_decode() -> None:
    assert encode_tid(0, 0) == "2222222222222"
    assert encode_tid(2**53 - 1, 1023) == "bzzzzzzzzzzzz"
    stamp = 1_700_000_000_123_456
    tid = encode_tid(stamp, 42)
    assert is_valid_tid(tid)
    assert decode_tid(tid) == (stamp, 42)
    assert encode_tid(stamp, 43) > tid and encode_tid(stamp + 1, 0) > encode_tid(stamp, 1023)
    with pytest.raises(ValueError, match="clock id"):
        encode_tid(stamp, 1024)
    with pytest.raises(ValueError, match="timestamp"):
        encode_tid(2**53, 0)
    with pytest.raises(ValueError, match="not a TID"):
        decode_tid("3JZFCIJPJ2Z2A")


def test_next_tid_is_now_and_strictly_increasing() -> None:
    start_us = time.time_ns() // 1000
    tids = [next_tid() for _ in range(5000)]
    assert all(is_valid_tid(t) for t in tids)
    assert tids == sorted(tids) and len(set(tids)) == len(tids)
    stamp, clock_id = decode_tid(tids[0])
    assert stamp >= start_us and stamp - start_us < 60_000_000
    assert {decode_tid(t)[1] for t in tids} == {clock_id}  # one clock id per process
    assert atlex.next_tid is next_tid


def test_tids_never_go_back_when_the_clock_does(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = TidClock()
    readings = iter([5_000_000_000, 5_000_000_000, 4_000_000_000, 6_000_000_000])
    monkeypatch.setattr(time, "time_ns", lambda: next(readings))
    stamps = [decode_tid(clock.next())[0] for _ in range(4)]
    assert stamps == [5_000_000, 5_000_001, 5_000_002, 6_000_000]


def test_next_tid_from_many_threads_is_unique() -> None:
    results: list[list[str]] = [[] for _ in range(4)]
    barrier = threading.Barrier(len(results))

    def work(out: list[str]) -> None:
        barrier.wait()
        out.extend(next_tid() for _ in range(3000))

    threads = [threading.Thread(target=work, args=(out,)) for out in results]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [t for out in results for t in out]
    assert len(set(every)) == len(every) == 12000
    for out in results:
        assert out == sorted(out)  # each thread sees increasing values


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_picks_its_own_clock_id(monkeypatch: pytest.MonkeyPatch) -> None:
    # An impossible clock id in the parent shows whether the child re-picked one.
    monkeypatch.setattr(_tid._CLOCK, "clock_id", -1)  # pyright: ignore[reportPrivateUsage]
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report and leave without running pytest's teardown
        try:
            os.write(write_end, str(decode_tid(next_tid())[1]).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as reader:
        child_clock_id = int(reader.read() or "-2")
    os.waitpid(pid, 0)
    assert 0 <= child_clock_id <= 1023
