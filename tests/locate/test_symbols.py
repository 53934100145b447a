"""The repository's definitions read from the locate index (find_definition, the names guard)."""

from surgeon.locate.symbols import definitions_named, repository_records
from tests.helpers import make_repo

CART = '''class Cart:
    def add(self, item):
        self.items.append(item)


def total(cart):
    return sum(cart.items)
'''


def test_records_cover_the_working_tree_and_follow_edits(tmp_path):
    repo = make_repo(tmp_path / "r", {"shop/cart.py": CART, ".gitignore": "build/\n", "README.md": "# shop\n"})
    (repo / "build").mkdir()
    (repo / "build" / "gen.py").write_text("def generated():\n    pass\n")
    (repo / "extra.py").write_text("def extra():\n    return 1\n")  # untracked, not ignored
    records = repository_records(repo, on_note=lambda _t: None)
    assert "shop/cart.py" in records and "extra.py" in records and "build/gen.py" not in records
    assert [(p, d.qualname, d.start, d.end) for p, d in definitions_named(records, "Cart.add")] == [
        ("shop/cart.py", "Cart.add", 2, 3)]
    assert [d.qualname for _, d in definitions_named(records, "add")] == ["Cart.add"]
    assert definitions_named(records, "Basket.add") == []
    # an edited file is read at its working-tree content
    (repo / "shop" / "cart.py").write_text(CART + "\n\ndef empty(cart):\n    cart.items.clear()\n")
    again = repository_records(repo, ["shop/cart.py"], on_note=lambda _t: None)
    assert list(again) == ["shop/cart.py"]
    assert [d.start for _, d in definitions_named(again, "empty")] == [10]
