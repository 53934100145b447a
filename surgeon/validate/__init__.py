"""Validators run on a diff's changes: scope, minimality, syntax, secrets. Each reports its own
verdict (refusals); check_patch runs the diff engine and the validators every diff gets."""

from typing import TYPE_CHECKING

from surgeon.lazy import exports

if TYPE_CHECKING:
    from surgeon.validate.options import ApplyOptions
    from surgeon.validate.patch import check_patch, check_result, patch_working_tree

__all__ = ["ApplyOptions", "check_patch", "check_result", "patch_working_tree"]

__getattr__ = exports(__name__, {
    "ApplyOptions": "surgeon.validate.options",
    "check_patch": "surgeon.validate.patch",
    "check_result": "surgeon.validate.patch",
    "patch_working_tree": "surgeon.validate.patch",
})
