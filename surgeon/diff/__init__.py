"""The diff engine: find a diff in a model's reply, apply it by content, repair only what is
unambiguous, refuse the rest, and write the normalised diff. Pure: text in, result out."""

from typing import TYPE_CHECKING

from surgeon.lazy import exports

if TYPE_CHECKING:
    from surgeon.diff.apply import apply_patch
    from surgeon.diff.extract import extract_diff
    from surgeon.diff.types import FileChange, PatchResult, Refusal

__all__ = ["FileChange", "PatchResult", "Refusal", "apply_patch", "extract_diff"]

__getattr__ = exports(__name__, {
    "apply_patch": "surgeon.diff.apply",
    "extract_diff": "surgeon.diff.extract",
    "FileChange": "surgeon.diff.types",
    "PatchResult": "surgeon.diff.types",
    "Refusal": "surgeon.diff.types",
})
