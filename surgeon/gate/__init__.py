"""The gate: a check command run on a staged commit in a temporary worktree, its result and the
note that records it."""

from surgeon.gate.notes import read_gate, record_gate
from surgeon.gate.result import GateResult
from surgeon.gate.run import run_gate, sweep_stale_gates

__all__ = ["GateResult", "read_gate", "record_gate", "run_gate", "sweep_stale_gates"]
