"""Review branches: a validated diff becomes one commit on surgeon/<slug>-<id> (commit.py), which
can be listed, shown and discarded (branches.py) or accepted (accept.py)."""

from surgeon.stage.commit import (
    DirtyFiles,
    StagedChange,
    commit_message,
    parse_trailers,
    slugify,
    stage_diff,
    summary_line,
)

__all__ = ["DirtyFiles", "StagedChange", "commit_message", "parse_trailers", "slugify", "stage_diff", "summary_line"]
