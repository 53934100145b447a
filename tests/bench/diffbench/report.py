"""The two tables: a summary per corpus and tool, and correct / wrong / refused / crash per
category beside each other for the four tools."""

from __future__ import annotations

from collections import Counter

from tests.bench.diffbench.tools import TOOLS

Tally = dict[tuple[str, str, str], Counter[str]]  # (corpus, kind, tool) -> outcomes
OUTCOMES = ("correct", "wrong", "refused", "crash")


def _sum(tally: Tally, tool: str, kinds: list[str], corpus: str | None) -> Counter[str]:
    total: Counter[str] = Counter()
    for (c, kind, t), counts in tally.items():
        if t == tool and kind in kinds and (corpus is None or c == corpus):
            total.update(counts)
    return total


def _pct(part: int, whole: int) -> str:
    return f"{part / whole:7.2%}" if whole else "      -"


def summary(tally: Tally, recoverable: list[str], unrecoverable: list[str]) -> list[str]:
    corpora = sorted({c for c, _, _ in tally})
    out = [f"{'corpus':<10} {'tool':<40} | {'recoverable':^40} | {'unrecoverable (must be refused)':^34}",
           f"{'':<10} {'':<40} | {'n':>5} {'correct':>8} {'wrong':>6} {'refused':>8} {'crash':>6}   "
           f"| {'n':>5} {'refused':>8} {'wrong':>6} {'crash':>6}"]
    out.append("-" * len(out[0]))
    for corpus in [*corpora, None]:
        for tool in TOOLS:
            rec, unrec = _sum(tally, tool, recoverable, corpus), _sum(tally, tool, unrecoverable, corpus)
            rn, un = sum(rec.values()), sum(unrec.values())
            out.append(f"{corpus or 'all':<10} {tool:<40} | {rn:>5} {_pct(rec['correct'], rn):>8} {rec['wrong']:>6} "
                       f"{rec['refused']:>8} {rec['crash']:>6}   | {un:>5} {_pct(unrec['refused'], un):>8} "
                       f"{unrec['wrong']:>6} {unrec['crash']:>6}")
        out.append("")
    return out


def per_category(tally: Tally, recoverable: list[str], unrecoverable: list[str]) -> list[str]:
    width = max(len(k) for k in recoverable + unrecoverable) + 1
    cell = 23
    head = f"{'category':<{width}}{'n':>5} | " + " | ".join(f"{t[:cell]:^{cell}}" for t in TOOLS)
    sub = f"{'':<{width}}{'':>5} | " + " | ".join(f"{'ok  wrong  ref crash':^{cell}}" for _ in TOOLS)
    out = [head, sub, "-" * len(head)]
    for kinds, title in ((recoverable, "recoverable: the intended file is the right outcome"),
                         (unrecoverable, "unrecoverable: a refusal is the right outcome")):
        out.append(f"[{title}]")
        for kind in kinds:
            counts = {tool: _sum(tally, tool, [kind], None) for tool in TOOLS}
            n = sum(counts["surgeon"].values())
            if not n:
                continue
            cells = [f"{c['correct']:>4} {c['wrong']:>5} {c['refused']:>5} {c['crash']:>5}" for c in counts.values()]
            out.append(f"{kind:<{width}}{n:>5} | " + " | ".join(f"{x:^{cell}}" for x in cells))
    return out
