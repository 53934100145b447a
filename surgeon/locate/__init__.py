"""Find the lines an instruction is about: a tree-sitter symbol index (cached by git blob id),
grep, and a ranking that packs the best regions into a token budget.

    from surgeon.locate import locate, Region, LocateResult, estimate_tokens
    result = locate(repo_root, "update the CSP to allow https://s.ado.im", budget=8000)
"""

from surgeon.locate.engine import locate
from surgeon.locate.pack import LocateResult, Region, region_text
from surgeon.tokens import estimate_tokens

__all__ = ["LocateResult", "Region", "estimate_tokens", "locate", "region_text"]
