"""The diff engine: find a diff in a model's reply, apply it by content, repair only what is
unambiguous, refuse the rest, and write the normalised diff. Pure: text in, result out."""

from surgeon.diff.apply import apply_patch
from surgeon.diff.extract import extract_diff
from surgeon.diff.types import FileChange, PatchResult, Refusal

__all__ = ["FileChange", "PatchResult", "Refusal", "apply_patch", "extract_diff"]
