"""The benchmark's own parts: the fixture, the timing loop, the verdicts, and a tiny full run.

Nothing here asserts a duration; the figures are ``make bench``'s business.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any, cast

import msgspec
import pytest
from bench.coldstart import ColdResult
from bench.decode import PAGES, CapturedResult, DecodeResult, contenders, read_thread_records
from bench.generation import GenResult

import atlex
from atlex.lex.app.bsky.feed import get_post_thread, get_timeline
from atlex.lex.app.bsky.feed.defs import ThreadViewPost
from atlex.lex.app.bsky.graph import get_follows
from bench import calls, capture, fixture, report, stats

REPO = Path(__file__).resolve().parents[2]


def _embed_types(body: bytes) -> Counter[str]:
    data: dict[str, Any] = msgspec.json.decode(body)
    found: Counter[str] = Counter()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            obj = cast("dict[str, Any]", value)
            kind = obj.get("$type")
            if isinstance(kind, str):
                found[kind] += 1
            for item in obj.values():
                walk(item)
        elif isinstance(value, list):
            for item in cast("list[Any]", value):
                walk(item)

    walk(data)
    return found


def test_fixture_is_deterministic_and_decodes_with_the_strict_native_decoder() -> None:
    body = fixture.build()
    assert body == fixture.build()
    assert body != fixture.build(seed=fixture.SEED + 1)
    # every union member is a known one: the closed native decoder accepts it as is
    output = msgspec.json.decode(body, type=get_timeline.Output)
    assert len(output.feed) == fixture.ITEMS


def test_fixture_covers_every_embed_kind_replies_reposts_labels_and_viewer_state() -> None:
    body = fixture.build()
    kinds = _embed_types(body)
    for kind in (
        "app.bsky.embed.images#view",
        "app.bsky.embed.video#view",
        "app.bsky.embed.external#view",
        "app.bsky.embed.record#view",
        "app.bsky.embed.record#viewRecord",
        "app.bsky.embed.record#viewNotFound",
        "app.bsky.embed.record#viewBlocked",
        "app.bsky.embed.record#viewDetached",
        "app.bsky.embed.recordWithMedia#view",
        "app.bsky.richtext.facet#mention",
        "app.bsky.richtext.facet#link",
        "app.bsky.richtext.facet#tag",
        "app.bsky.feed.defs#reasonRepost",
        "app.bsky.feed.defs#reasonPin",
        "com.atproto.label.defs#selfLabels",
    ):
        assert kinds[kind] > 0, kind
    output = atlex.decode(body, get_timeline.Output)
    assert sum(1 for item in output.feed if item.reply) == 20
    assert any(item.post.labels for item in output.feed)
    assert all(not isinstance(item.post.viewer, msgspec.UnsetType) for item in output.feed)


def test_unknown_variant_has_the_exact_share_and_atlex_keeps_them_as_dicts() -> None:
    body = fixture.build(unknown_share=0.1)
    assert fixture.unknown_members(body) == 10
    with pytest.raises(msgspec.ValidationError, match=r"com\.example\.poll"):
        msgspec.json.decode(body, type=get_timeline.Output)
    output = atlex.decode(body, get_timeline.Output)
    kept = [item.post.embed for item in output.feed if isinstance(item.post.embed, dict)]
    assert len(kept) == 10
    assert {embed["$type"] for embed in kept} == {"com.example.poll.embed#view"}


def test_decode_contenders_without_peers_all_accept_the_fixture() -> None:
    body = fixture.build(items=5)
    found = contenders(body, peers=False)
    assert set(found) == {"atlex", "atlex, records read", "json.loads", "msgspec untyped"}
    assert isinstance(found["atlex"](), get_timeline.Output)
    assert found["atlex, records read"]() >= 5  # every post record (replies: more), typed
    assert found["json.loads"]() == found["msgspec untyped"]()


def test_interleaved_runs_every_contender_per_round_in_rotating_order() -> None:
    order: list[str] = []
    samples = stats.interleaved(
        {name: (lambda name=name: order.append(name)) for name in "abc"},
        rounds=3,
        number=2,
        warmup=1,
    )
    assert order[:3] == ["a", "b", "c"]  # warm-up
    batches = order[3::2]
    assert batches == ["a", "b", "c", "b", "c", "a", "c", "a", "b"]
    assert all(len(found.values) == 3 for found in samples.values())
    with pytest.raises(ValueError, match="rounds"):
        stats.interleaved({"a": lambda: None}, rounds=0)


def test_interleaved_parts_lets_the_contenders_take_turns_on_each_part() -> None:
    seen: list[tuple[str, int]] = []
    samples = stats.interleaved_parts(
        {name: (lambda part, name=name: seen.append((name, part))) for name in "ab"},
        [10, 20, 30],
        rounds=2,
        warmup=1,
    )
    warmup = [("a", 10), ("a", 20), ("a", 30), ("b", 10), ("b", 20), ("b", 30)]
    one_round = [("a", 10), ("b", 10), ("b", 20), ("a", 20), ("a", 30), ("b", 30)]
    assert seen == warmup + one_round * 2  # each part: every contender, order rotating per part
    assert all(len(found.values) == 2 and len(found.cpu) == 2 for found in samples.values())
    with pytest.raises(ValueError, match="rounds"):
        stats.interleaved_parts({"a": lambda part: None}, [1], rounds=0)


def test_interleaved_async_runs_the_teardown_in_its_loop() -> None:
    calls_made: list[str] = []

    async def work() -> None:
        calls_made.append("work")

    async def teardown() -> None:
        calls_made.append("teardown")

    samples = stats.interleaved_async({"w": work}, rounds=2, number=3, teardown=teardown)
    assert calls_made == ["work"] * 7 + ["teardown"]
    assert len(samples["w"].values) == 2


def test_paired_ratio_and_paired_cold_figures_compare_within_each_round() -> None:
    fast = stats.Samples((1.0, 4.0, 2.0), (0.5, 2.0, 1.0))
    slow = stats.Samples((2.0, 8.0, 4.0), (1.0, 4.0, 4.0))
    # medians alone (2.0 vs 4.0) agree here; per round the ratio is exactly 0.5 every time
    assert stats.paired_ratio(fast, slow) == 0.5
    assert stats.paired_ratio(fast, slow, cpu=True) == 0.5
    runs = [{"import_ms": v} for v in (100.0, 300.0, 200.0)]
    cold = ColdResult(
        runs=3,
        medians={},
        samples={"atlex": [{"import_ms": r["import_ms"] + 5} for r in runs], "floor": runs},
    )
    assert cold.paired("import_ms", "atlex", "floor", ratio=False) == 5.0


def _samples(value: float) -> stats.Samples:
    return stats.Samples((value, value, value), (value, value, value))


def test_report_judges_each_goal_on_ratios() -> None:
    decoded = DecodeResult(
        items=100,
        clean_bytes=450_000,
        unknown_bytes=440_000,
        unknown_embeds=10,
        clean={
            "atlex": _samples(1.0),
            "atproto": _samples(20.0),
            "json.loads": _samples(4.0),
            "msgspec untyped": _samples(2.0),
        },
        unknown={
            "atlex": _samples(2.0),
            "json.loads": _samples(4.0),
            "msgspec untyped": _samples(2.0),
        },
    )
    clean, unknown = report.decode_rows(decoded)
    assert [goal.met for goal in clean.goals] == [True, True]  # 0.25x loads, 20x atproto
    assert "0.25x" in str(clean.goals[0]) and "20.0x" in str(clean.goals[1])
    assert unknown.atproto == report.MISSING

    base = {"import_ms": 100.0, "modules": 150.0, "rss_import_mib": 26.0}
    cold = ColdResult(
        runs=3,
        medians={
            "floor": {
                **base,
                "first_decode_ms": 5.0,
                "modules_total": 151.0,
                "rss_decode_mib": 27.0,
            },
            "atlex": {
                **base,
                "import_ms": 115.0,
                "first_decode_ms": 30.0,
                "modules_total": 190.0,
                "rss_decode_mib": 29.0,
            },
            "atproto": {
                "import_ms": 1000.0,
                "modules": 900.0,
                "rss_import_mib": 70.0,
                "first_decode_ms": 300.0,
                "modules_total": 920.0,
                "rss_decode_mib": 76.0,
            },
        },
    )
    import_row, _, rss_row, first_row, _ = report.cold_rows(cold)
    assert [goal.met for goal in import_row.goals] == [False, True]  # +15 ms; 8.7x
    assert [goal.met for goal in rss_row.goals] == [False]  # 26/70 = 0.37
    assert [goal.met for goal in first_row.goals] == [False]  # 30 ms
    assert import_row.lexrpc == report.MISSING

    (gen_row,) = report.gen_rows(
        GenResult(lexicon_files=387, wall_s={"atlex": 0.9}, atlex_internal_s=0.5, atlex_modules=485)
    )
    assert gen_row.goals[0].met

    call_row, *_ = report.call_rows(
        calls.CallResult(
            sync={"describeServer": {"atlex": _samples(1.04), "httpx + json.loads": _samples(1.0)}},
            async_={"getRecord": {"atlex": _samples(1.2), "httpx + json.loads": _samples(1.0)}},
        )
    )
    assert call_row.goals[0].met
    text = report.table([clean, import_row])
    assert text.count("\n") == 3 and text.startswith("| figure")


def _decoded(
    synthetic: dict[str, stats.Samples],
    *captured: CapturedResult,
    validate: dict[str, stats.Samples] | None = None,
) -> DecodeResult:
    return DecodeResult(
        items=100,
        clean_bytes=450_000,
        unknown_bytes=440_000,
        unknown_embeds=10,
        clean=synthetic,
        unknown=synthetic,
        validate=validate,
        captured=captured,
    )


def test_validate_rows_judge_validate_against_the_decode_of_the_same_page() -> None:
    base = {"atlex": _samples(1.0), "json.loads": _samples(4.0), "msgspec untyped": _samples(2.0)}
    decoded = _decoded(
        base,
        CapturedResult(
            "99-item getTimeline",
            333_000,
            base,
            {"decode": _samples(1.0), "validate": _samples(3.5)},
            is_timeline=True,
        ),
        validate={
            "decode": _samples(1.0),
            "validate": _samples(2.5),
            "lossless decode": _samples(5.0),
        },
    )
    synthetic, captured = report.decode_rows(decoded)[-2:]
    assert "synthetic 100-item" in synthetic.figure
    assert "captured 99-item getTimeline (333 kB)" in captured.figure
    assert [str(g) for g in synthetic.goals] == ["✅ ≤ 3x the decode: 2.50x (3 rounds)"]
    assert "lossless=True decode 5000 ms (5.0x)" in synthetic.reference
    assert [g.met for g in captured.goals] == [False]  # 3.5x
    assert "lossless" not in captured.reference


def test_every_captured_page_gets_decode_read_and_validate_rows_goals_judged_on_the_timeline() -> (
    None
):
    def rounds(*values: float) -> stats.Samples:
        return stats.Samples(values, values)

    decode = {
        "atlex": rounds(1.0, 1.0, 1.0, 1.0),
        "atlex, records read": rounds(2.0, 2.0, 2.0, 2.0),
        "atproto": rounds(20.0, 10.0, 30.0, 20.0),
        "json.loads": rounds(4.0, 4.0, 4.0, 4.0),
        "msgspec untyped": rounds(2.0, 2.0, 2.0, 2.0),
    }
    follows = {key: decode[key] for key in decode if key != "atlex, records read"}
    checked = {"decode": rounds(1.0, 1.0, 1.0, 1.0), "validate": rounds(2.0, 5.0, 4.0, 4.0)}
    decoded = _decoded(
        decode,
        CapturedResult("99-item getTimeline", 333_000, decode, checked, is_timeline=True),
        CapturedResult("50-follow getFollows", 27_000, follows, checked),
    )
    rows = {row.figure: row for row in report.decode_rows(decoded)}
    timeline = rows[
        "typed decode, 99-item getTimeline captured from the local AppView (333 kB), records unread"
    ]
    assert [str(g) for g in timeline.goals] == [
        "✅ ≤ 0.35x json.loads: 0.25x (4 rounds 0.25-0.25)",
        "✅ ≥ 15x faster than atproto: 20.0x (4 rounds 20.0-30.0)",
    ]
    read = rows[
        "typed decode, 99-item getTimeline captured from the local AppView (333 kB), "
        "every post's record read (typed)"
    ]
    assert read.atlex == "2000 ms" and all(g.met is None for g in read.goals)
    # no records on a follows page: one decode row, its ratios reported, not judged
    page = rows["typed decode, 50-follow getFollows captured from the local AppView (27 kB)"]
    assert all(g.met is None for g in page.goals)
    assert "✅" not in report.table([page]) and "❌" not in report.table([page])
    assert not any("getFollows" in figure and "read" in figure for figure in rows)
    checked_row = rows[
        "validate() (lenient, as validate_response) of the captured 50-follow getFollows (27 kB)"
    ]
    assert [str(g) for g in checked_row.goals] == ["❌ ≤ 3x the decode: 4.00x (4 rounds 4.00-5.00)"]


def test_the_bench_keeps_captured_pages_and_captures_only_when_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    captures: list[str] = []

    def fake_capture(**_: object) -> dict[str, bytes]:
        captures.append("captured")
        return {name: f'{{"page": "{name}"}}'.encode() for name in capture.PAGES}

    monkeypatch.setattr(capture, "CAPTURED", tmp_path / f"captured-v{capture.CAPTURE_VERSION}")
    monkeypatch.setattr(capture, "capture", fake_capture)
    first = capture.ensure(log=lambda _line: None)
    assert captures == ["captured"] and set(first) == set(capture.PAGES)
    assert capture.ensure(log=lambda _line: None) == first  # kept: not captured again
    assert captures == ["captured"]
    capture.ensure(recapture=True, log=lambda _line: None)
    assert captures == ["captured", "captured"]
    assert not (tmp_path / f"captured-v{capture.CAPTURE_VERSION}.partial").exists()


def test_quick_run_prints_the_table() -> None:
    """The whole driver with tiny counts and without the peers (they live in the bench venv)."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.run", "--quick", "--no-peers", "--only", "decode,cold,gen"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    for figure in ("typed decode", "import + client", "first typed decode", "full generation"):
        assert figure in done.stdout
    assert "Machine:" in done.stdout


@pytest.mark.network
def test_call_overhead_runs_against_a_local_pds() -> None:
    result = calls.run(rounds=1, number=1, peers=False)
    for table in (result.sync, result.async_):
        assert set(table) == {
            "describeServer",
            "getRecord",
            f"describeServer{calls.RECORDED}",
            f"getRecord{calls.RECORDED}",
        }
        for samples in table.values():
            assert set(samples) == {"atlex", "httpx + json.loads"}


@pytest.mark.network
def test_capture_seeds_the_appview_and_returns_pages_every_decoder_accepts(
    tmp_path: Path,
) -> None:
    pages = capture.capture(items=10, follows=8, replies=6, log=lambda _line: None)
    assert set(pages) == set(capture.PAGES) == set(PAGES)
    body = pages["timeline"]
    output = msgspec.json.decode(body, type=get_timeline.Output)  # every member known
    assert len(output.feed) >= 8
    kinds = _embed_types(body)
    for kind in (
        "app.bsky.embed.images#view",
        "app.bsky.embed.external#view",
        "app.bsky.embed.record#view",
        "app.bsky.embed.recordWithMedia#view",
        "app.bsky.richtext.facet#mention",
        "app.bsky.feed.defs#reasonRepost",
    ):
        assert kinds[kind] > 0, kind
    assert set(contenders(body, peers=False)) == {
        "atlex",
        "atlex, records read",
        "json.loads",
        "msgspec untyped",
    }
    assert isinstance(contenders(body, peers=False)["atlex"](), get_timeline.Output)

    follows = msgspec.json.decode(pages["follows"], type=get_follows.Output)
    assert len(follows.follows) == 8
    assert sum(1 for p in follows.follows if isinstance(p.avatar, str)) == 1  # followee 0
    assert sum(1 for p in follows.follows if isinstance(p.description, str)) == 2
    assert sum(1 for p in follows.follows if p.viewer and p.viewer.muted) == 1  # followee 1
    assert set(contenders(pages["follows"], peers=False, page=PAGES["follows"])) == {
        "atlex",
        "json.loads",
        "msgspec untyped",
    }

    thread = msgspec.json.decode(pages["thread"], type=get_post_thread.Output)
    assert isinstance(thread.thread, ThreadViewPost) and thread.threadgate
    assert thread.thread.post.quote_count == 2
    decoded = atlex.decode(pages["thread"], get_post_thread.Output)
    assert read_thread_records(decoded) == 7  # the root and its six replies, typed
    kinds = _embed_types(pages["thread"])
    for kind in ("app.bsky.embed.images#view", "app.bsky.embed.record#view"):
        assert kinds[kind] > 0, kind

    capture.save(tmp_path / "pages", pages)
    assert capture.load(tmp_path / "pages") == pages
    (tmp_path / "pages" / "thread.json").unlink()
    assert capture.load(tmp_path / "pages") is None  # a partial folder is captured again


def test_the_validate_figure_measures_the_fast_pass() -> None:
    """The synthetic page is proved valid by validate()'s fast pass alone (a fallback to the
    exact pass would make the figure measure both)."""
    from atlex import _validate
    from atlex._validate_fast import fast_check

    value = atlex.decode(fixture.build(items=20), get_timeline.Output)
    fast_check(get_timeline.Output, _validate.compile_field)(value)
