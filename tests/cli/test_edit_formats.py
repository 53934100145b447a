"""`surgeon edit` when the model answers in SEARCH/REPLACE blocks instead of a unified diff:
the blocks go through the same engine and validators, and the change is staged."""

import json

from tests.helpers import git, make_repo, repo_state, run_surgeon

PRICING = '''"""Prices for the shop."""

TAX_RATE = 0.2


def total_price(net: float) -> float:
    """Net price plus tax, rounded to cents."""
    return round(net * (1 + TAX_RATE), 2)
'''

REPLY = '''I'll raise the rate.

pricing.py
```python
<<<<<<< SEARCH
TAX_RATE = 0.2
=======
TAX_RATE = 0.25
>>>>>>> REPLACE
```
'''


def test_edit_accepts_search_replace_blocks_from_the_model(tmp_path, fake_model):
    repo = make_repo(tmp_path / "shop", {"pricing.py": PRICING})
    before = repo_state(repo)
    fake_model.script([REPLY])
    result = run_surgeon("edit", "set TAX_RATE to 0.25", "--json", cwd=repo, env=fake_model.env())
    assert result.code == 0, result.stdout + result.stderr
    out = json.loads(result.stdout)
    assert out["status"] == "staged" and out["files"] == ["pricing.py"]
    assert out["diff"].startswith("diff --git a/pricing.py b/pricing.py\n")
    assert "-TAX_RATE = 0.2\n+TAX_RATE = 0.25\n" in out["diff"]
    assert git(repo, "show", f"{out['branch']}:pricing.py") == PRICING.replace("0.2\n", "0.25\n", 1)
    assert repo_state(repo) == before
    assert len(fake_model.requests) == 1


def test_a_cut_off_block_goes_back_to_the_model(tmp_path, fake_model):
    repo = make_repo(tmp_path / "shop", {"pricing.py": PRICING})
    fake_model.script([REPLY.split("=======")[0], REPLY])
    result = run_surgeon("edit", "set TAX_RATE to 0.25", "--json", cwd=repo, env=fake_model.env())
    assert result.code == 0, result.stdout + result.stderr
    out = json.loads(result.stdout)
    assert [a["status"] for a in out["attempts"]] == ["refused", "staged"]
    assert git(repo, "show", f"{out['branch']}:pricing.py") == PRICING.replace("0.2\n", "0.25\n", 1)
