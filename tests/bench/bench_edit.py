"""The demo task through the edit loop (scripted replies, no gate), measured.

Prints the tokens sent to the model per edit against pasting the whole touched files, and the time
the pipeline spends outside the model call (locate, validate, stage), over several runs.

    .venv/bin/python tests/bench/bench_edit.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from surgeon import prompt as prompts  # noqa: E402
from surgeon.cli.demo import INSTRUCTION, SCRIPTED, make_demo_repo  # noqa: E402
from surgeon.config import load_config  # noqa: E402
from surgeon.edit import EditLoop, EditRequest  # noqa: E402
from surgeon.git import find_repo  # noqa: E402
from surgeon.locate import estimate_tokens  # noqa: E402


def one_run(workdir: Path, warm: bool) -> dict:
    repo_path = make_demo_repo(workdir / "stack")
    reply = (SCRIPTED / "attempt2.txt").read_text(encoding="utf-8")
    script = workdir / "replies.json"
    script.write_text(json.dumps([reply]), encoding="utf-8")
    repo = find_repo(repo_path)
    loop = EditLoop(repo, load_config(repo.root))
    if warm:  # a first locate fills the index cache, as in a repository surgeon has seen before
        from surgeon.locate import locate

        locate(repo.root, INSTRUCTION)
    outcome = loop.run(EditRequest(instruction=INSTRUCTION, model=f"script:{script}"))
    assert outcome.status == "staged", outcome.errors
    touched = [c.path for c in outcome.result.changes]
    whole_touched = sum(estimate_tokens((repo.root / p).read_text(encoding="utf-8")) for p in touched)
    whole_shown = sum(estimate_tokens((repo.root / p).read_text(encoding="utf-8")) for p in outcome.shown_files)
    overhead = estimate_tokens(prompts.template("edit_system") + prompts.render("edit_request", instruction=INSTRUCTION))
    return {
        "sent": outcome.context_tokens,
        "whole_touched": whole_touched + overhead,
        "whole_shown": whole_shown + overhead,
        "touched_files": len(touched),
        "shown_files": len(outcome.shown_files),
        **{k: outcome.timings[k] for k in ("locate", "model", "validate", "stage", "total")},
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rows = {"cold": [], "warm": []}
    for _ in range(args.runs):
        for kind in rows:
            with tempfile.TemporaryDirectory() as tmp:
                rows[kind].append(one_run(Path(tmp), warm=kind == "warm"))
    first = rows["warm"][0]
    print(f"demo task: {INSTRUCTION!r}")
    print(f"tokens sent per edit (system + located context + instruction): {first['sent']}")
    print(f"the same request pasting the {first['touched_files']} touched files whole instead: {first['whole_touched']}"
          f"  (sent/whole = {first['sent'] / first['whole_touched']:.2f})")
    print(f"the same request pasting the {first['shown_files']} files shown in excerpts whole: {first['whole_shown']}"
          f"  (sent/whole = {first['sent'] / first['whole_shown']:.2f})")
    print(f"\ntime outside the model call, median of {args.runs} runs (ms):")
    print(f"{'index':>6} {'locate':>8} {'validate':>9} {'stage':>7} {'outside model':>14}")
    for kind, runs in rows.items():
        med = {k: statistics.median(r[k] for r in runs) * 1000 for k in ("locate", "validate", "stage", "model", "total")}
        outside = med["locate"] + med["validate"] + med["stage"]
        print(f"{kind:>6} {med['locate']:8.1f} {med['validate']:9.1f} {med['stage']:7.1f} {outside:14.1f}")


if __name__ == "__main__":
    main()
