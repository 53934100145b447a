"""Review branches: a validated diff becomes one commit on surgeon/<slug>-<id> (commit.py, checked by
verify.py, named and described by message.py), which can be listed, shown and discarded
(branches.py) or accepted (accept.py)."""

from surgeon.errors import DirtyFiles
from surgeon.stage.commit import StagedChange, stage_diff
from surgeon.stage.message import commit_message, parse_trailers, slugify, summary_line

__all__ = ["DirtyFiles", "StagedChange", "commit_message", "parse_trailers", "slugify", "stage_diff", "summary_line"]
