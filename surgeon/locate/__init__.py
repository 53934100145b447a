"""Find the lines an instruction is about: a tree-sitter symbol index (cached by git blob id),
grep, and a ranking that packs the best regions into a token budget.

    from surgeon.locate import locate, Region, LocateResult, estimate_tokens
    result = locate(repo_root, "update the CSP to allow https://s.ado.im", budget=8000)
"""

from surgeon.lazy import exports
from surgeon.locate.result import LocateResult, Region, region_text
from surgeon.tokens import estimate_tokens

# The engine (the index, its cache, grep, tree-sitter) loads when it is first asked for: an edit
# whose context is prepared in a child process never loads it in the process that waits.
__getattr__ = exports(__name__, {"locate": "surgeon.locate.engine"})

__all__ = ["LocateResult", "Region", "estimate_tokens", "locate", "region_text"]
