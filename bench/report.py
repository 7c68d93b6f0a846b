"""The one markdown table ``make bench`` prints: medians, ratios, and each goal met or missed.

Goals (issue 8), all judged on ratios from the same run:

* typed decode <= 0.35x stdlib ``json.loads``, and >= 15x faster than atproto;
* import + client <= 10 ms over ``import httpx, msgspec``, and >= 8x faster than atproto;
* cold first decode <= 25 ms; RSS <= 1/3 of atproto's;
* full generation <= 1 s; call overhead <= 1.05x raw httpx + ``json.loads``.
"""

from __future__ import annotations

import os
import platform
import sys
from dataclasses import dataclass
from importlib import metadata

from bench.calls import RECORDED, CallResult
from bench.coldstart import ColdResult
from bench.decode import CapturedResult, DecodeResult
from bench.firehose import FirehoseResult
from bench.generation import GenResult
from bench.stats import Samples, paired_ratio

MISSING = "—"


@dataclass(frozen=True)
class Goal:
    text: str
    met: bool | None
    """None: a figure reported beside the goals, judged by none."""

    def __str__(self) -> str:
        if self.met is None:
            return self.text
        return f"{'✅' if self.met else '❌'} {self.text}"


@dataclass(frozen=True)
class Row:
    figure: str
    atlex: str
    atproto: str = MISSING
    lexrpc: str = MISSING
    reference: str = MISSING
    goals: tuple[Goal, ...] = ()

    def cells(self) -> list[str]:
        verdict = "; ".join(str(goal) for goal in self.goals) or MISSING
        return [self.figure, self.atlex, self.atproto, self.lexrpc, self.reference, verdict]


HEADER = ["figure (median)", "atlex", "atproto 0.0.73", "lexrpc 3.0", "reference", "goal (ratio)"]


def ms(seconds: float) -> str:
    """Milliseconds, three significant figures; microseconds below one."""
    if seconds < 1e-3:
        return us(seconds)
    value = seconds * 1e3
    return (
        f"{value:.2f} ms" if value < 10 else f"{value:.1f} ms" if value < 100 else f"{value:.0f} ms"
    )


def us(seconds: float) -> str:
    return f"{seconds * 1e6:.0f} µs"


def _median(samples: dict[str, Samples], name: str) -> float | None:
    found = samples.get(name)
    return None if found is None else found.median


def _fmt(value: float | None, unit: str = "ms") -> str:
    if value is None:
        return MISSING
    return ms(value) if unit == "ms" else us(value) if unit == "us" else f"{value:.2f} {unit}"


def _ratio(top: Samples, bottom: Samples) -> str:
    """The paired ratio, with the middle half of its rounds (each round ran both back to back)."""
    each = sorted(a / b for a, b in zip(top.values, bottom.values, strict=True) if b > 0)

    def fmt(ratio: float) -> str:
        return f"{ratio:.1f}" if ratio >= 10 else f"{ratio:.2f}"

    middle = f"{fmt(each[len(each) // 4])}-{fmt(each[(3 * len(each)) // 4])}"
    rounds = f"{len(each)} round{'s' if len(each) != 1 else ''}"
    rounds += f" {middle}" if len(each) >= 4 else ""
    return f"{fmt(paired_ratio(top, bottom))}x ({rounds})"


def _decode_goals(samples: dict[str, Samples], judged: bool) -> tuple[Goal, ...]:
    """The issue's decode goals, judged (``judged``) or reported beside them."""
    vs_loads = paired_ratio(samples["atlex"], samples["json.loads"])
    loads = _ratio(samples["atlex"], samples["json.loads"])
    goals = [
        Goal(f"≤ 0.35x json.loads: {loads}", vs_loads <= 0.35)
        if judged
        else Goal(f"{loads} json.loads", None)
    ]
    if "atproto" in samples:
        faster = paired_ratio(samples["atproto"], samples["atlex"])
        text = _ratio(samples["atproto"], samples["atlex"])
        goals.append(
            Goal(f"≥ 15x faster than atproto: {text}", faster >= 15)
            if judged
            else Goal(f"{text} faster than atproto", None)
        )
    return tuple(goals)


def _decode_row(label: str, samples: dict[str, Samples], goals: tuple[Goal, ...]) -> Row:
    atlex = _median(samples, "atlex")
    loads = _median(samples, "json.loads")
    untyped = _median(samples, "msgspec untyped")
    assert atlex is not None and loads is not None and untyped is not None
    unread = ", records unread" if "atlex, records read" in samples else ""
    return Row(
        figure=f"{label}{unread}",
        atlex=_fmt(atlex),
        atproto=_fmt(_median(samples, "atproto")),
        lexrpc=_fmt(_median(samples, "lexrpc")),
        reference=f"json.loads {_fmt(loads)}; msgspec untyped {_fmt(untyped)}",
        goals=goals,
    )


def decode_rows(result: DecodeResult) -> list[Row]:
    """Per page: the typed decode (records unread), the same with every record read, and
    validate() against the decode; the synthetic timeline, then each captured page."""
    rows: list[Row] = []
    size = f"{result.clean_bytes / 1000:.0f} kB"
    label = f"typed decode, {result.items}-item getTimeline, synthetic ({size})"
    rows.append(_decode_row(label, result.clean, _decode_goals(result.clean, judged=True)))
    if "atlex, records read" in result.clean:
        rows.append(_read_row(label, result.clean))
    for page in result.captured:
        label = (
            f"typed decode, {page.label} captured from the local AppView "
            f"({page.size / 1000:.0f} kB)"
        )
        goals = _decode_goals(page.decode, judged=page.is_timeline)
        if not page.is_timeline:  # the issue states its decode goals on the timeline
            goals = (*goals, Goal("(goals on the timeline)", None))
        rows.append(_decode_row(label, page.decode, goals))
        if "atlex, records read" in page.decode:
            rows.append(_read_row(label, page.decode))
    label = (
        f"synthetic, {result.unknown_embeds} of {result.items} embeds of unknown types "
        f"({result.unknown_bytes / 1000:.0f} kB)"
    )
    rows.append(_decode_row(label, result.unknown, _decode_goals(result.unknown, judged=False)))
    if result.validate is not None:
        rows.append(_validate_row(result.validate, f"the synthetic {result.items}-item page"))
    for page in result.captured:
        rows.append(_validate_row(page.validate, _captured_page(page)))
    return rows


def _captured_page(page: CapturedResult) -> str:
    return f"the captured {page.label} ({page.size / 1000:.0f} kB)"


def _read_row(label: str, samples: dict[str, Samples]) -> Row:
    """The same decode with every post's record read (typed): reported, no goal."""
    read = samples["atlex, records read"]
    notes = [f"{_ratio(read, samples['json.loads'])} json.loads"]
    if "atproto" in samples:
        notes.append(f"{_ratio(samples['atproto'], read)} faster than atproto")
    return Row(
        figure=f"{label}, every post's record read (typed)",
        atlex=_fmt(_median(samples, "atlex, records read")),
        goals=(*(Goal(note, None) for note in notes), Goal("(reported, no goal)", None)),
    )


def _validate_row(samples: dict[str, Samples], page: str) -> Row:
    """validate() (and the lossless decode, when measured) against the decode of the page."""
    cost = paired_ratio(samples["validate"], samples["decode"])
    reference = f"its decode {_fmt(_median(samples, 'decode'))}"
    if "lossless decode" in samples:
        keep = paired_ratio(samples["lossless decode"], samples["decode"])
        lossless = _fmt(_median(samples, "lossless decode"))
        reference += f"; lossless=True decode {lossless} ({keep:.1f}x)"
    text = f"≤ 3x the decode: {_ratio(samples['validate'], samples['decode'])}"
    return Row(
        figure=f"validate() (lenient, as validate_response) of {page}",
        atlex=_fmt(_median(samples, "validate")),
        reference=reference,
        goals=(Goal(text, cost <= 3),),
    )


def firehose_rows(result: FirehoseResult) -> list[Row]:
    """Events/s per core for frame -> typed op records, unverified and verified, vs atproto."""
    samples = result.samples
    label = (
        f"firehose: frame -> typed message -> every op's typed record, {result.frames} frames "
        f"({result.commits} commits, {result.ops} ops, {result.size / 1e6:.1f} MB) captured "
        "from the local PDS: events/s on one core (peak RSS)"
    )

    def rate(name: str) -> str:
        if name not in samples:
            return MISSING
        per_s = result.frames / samples[name].median
        return f"{per_s:,.0f}/s ({result.rss[name]:.0f} MiB)"

    def rounds(top: str, bottom: str) -> str:
        # every round's paired ratio (both ran back to back in it), wall clock
        each = [a / b for a, b in zip(samples[top].values, samples[bottom].values, strict=True)]
        return ", rounds " + " ".join(f"{r:.1f}" for r in each)

    goals: list[Goal] = []
    if "atproto" in samples:
        faster = paired_ratio(samples["atproto"], samples["atlex"])
        cpu = paired_ratio(samples["atproto"], samples["atlex"], cpu=True)
        text = f"≥ 5x atproto: {faster:.1f}x (CPU time {cpu:.1f}x{rounds('atproto', 'atlex')})"
        goals.append(Goal(text, faster >= 5))
    cost = paired_ratio(samples["atlex verify"], samples["atlex"])
    text = f"verify ≤ 2x the unverified cost: {cost:.2f}x ({rounds('atlex verify', 'atlex')[2:]})"
    goals.append(Goal(text, cost <= 2))
    return [
        Row(
            figure=label,
            atlex=rate("atlex"),
            atproto=rate("atproto"),
            reference=f"atlex verify=True {rate('atlex verify')}",
            goals=tuple(goals),
        )
    ]


def cold_rows(result: ColdResult) -> list[Row]:
    m = result.medians

    def cell(name: str, metric: str, unit: str) -> str:
        if name not in m:
            return MISSING
        value = m[name][metric]
        if unit == "ms":
            return f"{value:.1f} ms"
        if unit == "MiB":
            return f"{value:.1f} MiB"
        return f"{value:.0f}"

    atlex, floor, atproto = m["atlex"], m["floor"], m.get("atproto")
    paired = bool(result.samples)
    over = (
        result.paired("import_ms", "atlex", "floor", ratio=False)
        if paired
        else atlex["import_ms"] - floor["import_ms"]
    )
    import_goals = [Goal(f"≤ 10 ms over floor: {over:+.1f} ms", over <= 10)]
    rss_goals: list[Goal] = []
    decode_rss_goals: list[Goal] = []
    if atproto is not None:
        faster = (
            result.paired("import_ms", "atproto", "atlex", ratio=True)
            if paired
            else atproto["import_ms"] / atlex["import_ms"]
        )
        import_goals.append(Goal(f"≥ 8x faster than atproto: {faster:.1f}x", faster >= 8))
        for goals, metric in ((rss_goals, "rss_import_mib"), (decode_rss_goals, "rss_decode_mib")):
            share = atlex[metric] / atproto[metric]
            goals.append(Goal(f"≤ 1/3 of atproto: {share:.2f}x", share <= 1 / 3))
    runs = f"{result.runs} fresh processes each"
    return [
        Row(
            f"import + client construction ({runs})",
            cell("atlex", "import_ms", "ms"),
            cell("atproto", "import_ms", "ms"),
            cell("lexrpc", "import_ms", "ms"),
            f"`import httpx, msgspec` {cell('floor', 'import_ms', 'ms')}",
            tuple(import_goals),
        ),
        Row(
            "modules loaded by import + client",
            cell("atlex", "modules", "n"),
            cell("atproto", "modules", "n"),
            cell("lexrpc", "modules", "n"),
            f"floor {cell('floor', 'modules', 'n')}",
        ),
        Row(
            "RSS after import + client",
            cell("atlex", "rss_import_mib", "MiB"),
            cell("atproto", "rss_import_mib", "MiB"),
            cell("lexrpc", "rss_import_mib", "MiB"),
            f"floor {cell('floor', 'rss_import_mib', 'MiB')}",
            tuple(rss_goals),
        ),
        Row(
            "first typed decode in that fresh process",
            cell("atlex", "first_decode_ms", "ms"),
            cell("atproto", "first_decode_ms", "ms"),
            cell("lexrpc", "first_decode_ms", "ms"),
            f"msgspec untyped {cell('floor', 'first_decode_ms', 'ms')}",
            (
                Goal(
                    f"≤ 25 ms: {atlex['first_decode_ms']:.1f} ms",
                    atlex["first_decode_ms"] <= 25,
                ),
            ),
        ),
        Row(
            "modules / RSS after the first decode",
            f"{cell('atlex', 'modules_total', 'n')} / {cell('atlex', 'rss_decode_mib', 'MiB')}",
            f"{cell('atproto', 'modules_total', 'n')} / {cell('atproto', 'rss_decode_mib', 'MiB')}",
            f"{cell('lexrpc', 'modules_total', 'n')} / {cell('lexrpc', 'rss_decode_mib', 'MiB')}",
            f"floor {cell('floor', 'modules_total', 'n')} / {cell('floor', 'rss_decode_mib', 'MiB')}",
            tuple(decode_rss_goals),
        ),
    ]


def gen_rows(result: GenResult) -> list[Row]:
    atlex = result.wall_s["atlex"]
    internal = result.atlex_internal_s
    reference = (
        f"`atlex gen` own report {internal:.2f} s ({result.atlex_modules} modules)"
        if internal is not None
        else MISSING
    )
    atproto = result.wall_s.get("atproto")
    return [
        Row(
            f"full generation, {result.lexicon_files} upstream lexicons (wall clock)",
            f"{atlex:.2f} s",
            MISSING if atproto is None else f"{atproto:.2f} s (`atp gen custom`, ruff)",
            "(no generator)",
            reference,
            (Goal(f"≤ 1 s: {atlex:.2f} s", atlex <= 1.0),),
        )
    ]


def _call_cell(samples: dict[str, Samples], name: str) -> str:
    found = samples.get(name)
    if found is None:
        return MISSING
    return f"{_fmt(found.median, 'us')} (CPU {_fmt(found.cpu_median, 'us')})"


def call_rows(result: CallResult) -> list[Row]:
    rows: list[Row] = []
    raw = "httpx + json.loads"
    for mode, table in (("sync", result.sync), ("async", result.async_)):
        for request, samples in table.items():
            atlex, base = _median(samples, "atlex"), _median(samples, raw)
            assert atlex is not None and base is not None
            ratio = paired_ratio(samples["atlex"], samples[raw])
            cpu_ratio = paired_ratio(samples["atlex"], samples[raw], cpu=True)
            extra = samples["atlex"].cpu_median - samples[raw].cpu_median

            rows.append(
                Row(
                    f"call {request}, {mode}: wall (client CPU) per call"
                    if RECORDED in request
                    else f"call {request}, {mode}, local PDS: wall (client CPU) per call",
                    _call_cell(samples, "atlex"),
                    _call_cell(samples, "atproto"),
                    _call_cell(samples, "lexrpc"),
                    f"{raw} {_call_cell(samples, raw)}",
                    (Goal(f"(no goal) {ratio:.2f}x raw; {extra * 1e6:+.0f} µs CPU", True),)
                    if RECORDED in request
                    else (
                        Goal(f"≤ 1.05x raw: {ratio:.2f}x wall", ratio <= 1.05),
                        Goal(
                            f"client CPU {cpu_ratio:.2f}x raw ({extra * 1e6:+.0f} µs)",
                            cpu_ratio <= 1.05,
                        ),
                    ),
                )
            )
    return rows


def machine() -> str:
    cpu = platform.processor() or MISSING
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            cpu = next(
                (line.split(":", 1)[1].strip() for line in info if line.startswith("model name")),
                cpu,
            )
    except OSError:
        pass
    try:
        one, five, fifteen = os.getloadavg()
        load = f"load {one:.1f} {five:.1f} {fifteen:.1f}"
    except OSError:
        load = ""
    versions = ", ".join(
        f"{name} {_version(name)}" for name in ("msgspec", "httpx", "pydantic", "atproto", "lexrpc")
    )
    return (
        f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()} "
        f"({sys.implementation.name}), {platform.system()} {platform.release()}; "
        f"{load}; {versions}"
    )


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def table(rows: list[Row]) -> str:
    lines = [
        "| " + " | ".join(HEADER) + " |",
        "|" + "---|" * len(HEADER),
    ]
    lines += ["| " + " | ".join(row.cells()) + " |" for row in rows]
    return "\n".join(lines)
