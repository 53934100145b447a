"""The gate: a check command run on a staged commit in a temporary worktree (scrubbed environment,
optional sandbox), its result and the note that records it."""

from surgeon.gate.notes import read_gate, record_gate
from surgeon.gate.result import GateResult
from surgeon.gate.run import run_gate, sweep_stale_gates
from surgeon.gate.sandbox import GateOptions, Sandbox, available_sandbox, check_environment, gate_options
from surgeon.gate.withheld import mask_values, withheld_values

__all__ = ["GateOptions", "GateResult", "Sandbox", "available_sandbox", "check_environment", "gate_options",
           "mask_values", "read_gate", "record_gate", "run_gate", "sweep_stale_gates", "withheld_values"]
