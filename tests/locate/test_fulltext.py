"""Full-text retrieval: chunks, their FTS5 index in the cache, fusion with the structural ranking,
and packing that shows each line once."""

from surgeon.locate import locate
from surgeon.locate.cache import IndexCache
from surgeon.locate.chunks import chunk_file, match_expression, words
from surgeon.locate.fusion import fuse
from surgeon.locate.index import index_bytes
from surgeon.locate.pack import pack
from surgeon.locate.rank import Scored
from tests.helpers import git, make_repo

SOURCE = '''import os


class Request:
    hooks = None
    timeout = 5

    def prepare(self):
        return os.environ.get("X")

    def send(self):
        return self.prepare()
'''


def test_words_split_identifiers_and_keep_the_whole():
    assert words("max_body_bytes = parseHTTPHeader(x)").split() == [
        "max", "body", "bytes", "maxbodybytes", "parse", "http", "header", "parsehttpheader"]
    assert match_expression(["a", 'b"c']) == '"a" OR "b"c"' or match_expression(["hooks"]) == '"hooks"'


def test_chunks_are_methods_and_the_class_lines_between_them():
    record = index_bytes(SOURCE.encode(), "python")
    chunks = chunk_file(record.definitions, SOURCE.splitlines())
    spans = {(c.start, c.end, c.symbol) for c in chunks}
    assert (8, 9, "Request.prepare") in spans and (11, 12, "Request.send") in spans
    attributes = next(c for c in chunks if c.start <= 5 <= c.end)
    assert attributes.symbol == "Request" and "hooks" in attributes.body.split()
    covered = sorted(n for c in chunks for n in range(c.start, c.end + 1))
    assert len(covered) == len(set(covered))  # no line in two chunks


def test_cache_searches_chunks_and_forgets_them_with_their_blob(tmp_path):
    cache = IndexCache(tmp_path / "index.sqlite")
    record = index_bytes(SOURCE.encode(), "python")
    chunks = chunk_file(record.definitions, SOURCE.splitlines())
    cache.put_many([("blob1", "python", record, chunks)])
    found = cache.search('"hooks"', 10)
    assert found and found[0][:2] == ("blob1", "python") and found[0][2] <= 5 <= found[0][3] and found[0][6] > 0
    cache.prune(set(), set())
    assert cache.search('"hooks"', 10) == []


def test_a_line_only_full_text_finds_is_shown(tmp_path):
    # "type annotation for Request.hooks": the class attributes hold the line, no definition is named hooks
    repo = make_repo(tmp_path / "repo", {"src/models.py": SOURCE, "src/other.py": "def unrelated():\n    return 1\n"})
    result = locate(repo, "Add a type annotation for Request.hooks", budget=2000, on_note=lambda _t: None)
    assert any(r.path == "src/models.py" and r.start_line <= 5 <= r.end_line for r in result.regions)
    scores = [r.score for r in result.regions]
    assert scores == sorted(scores, reverse=True)


def test_edited_file_is_searched_as_it_is_now(tmp_path):
    repo = make_repo(tmp_path / "repo", {"app.py": "def old_name():\n    return 1\n"})
    assert locate(repo, "zebrafish", on_note=lambda _t: None).regions == ()
    (repo / "app.py").write_text("def renamed():\n    zebrafish = 2\n    return zebrafish\n")
    result = locate(repo, "zebrafish", on_note=lambda _t: None)
    assert [r.path for r in result.regions] == ["app.py"]
    git(repo, "checkout", "--", "app.py")
    assert locate(repo, "zebrafish", on_note=lambda _t: None).regions == ()


def _scored(path, start, end, score, why="x"):
    lines = tuple(f"line {n}" for n in range(1, 101))
    return Scored(path, start, end, None, "lines", score, (why,), lines, ())


def test_fusion_puts_what_both_rankings_find_first_and_keeps_the_structures_clear_best():
    structural = [_scored("a.py", 10, 20, 4.0), _scored("b.py", 1, 5, 1.0)]
    full_text = [_scored("b.py", 1, 30, 9.0, "bm25"), _scored("c.py", 1, 9, 8.0, "bm25")]
    order = [(s.path, s.start) for s in fuse(structural, full_text)]
    assert order[0] == ("a.py", 10)  # 1.0 vs 0.25 + 0.5
    assert order.index(("b.py", 1)) < order.index(("c.py", 1))
    scores = [s.score for s in fuse(structural, full_text)]
    assert scores == sorted(scores, reverse=True)


def test_pack_shows_each_line_once():
    regions = pack([_scored("a.py", 10, 20, 3.0), _scored("a.py", 15, 30, 2.0), _scored("a.py", 12, 14, 1.0),
                    _scored("a.py", 5, 40, 0.5)], 10_000)
    assert [(r.start_line, r.end_line) for r in regions] == [(5, 40)]
    assert regions[0].score == 3.0
    lines = [n for r in pack([_scored("a.py", 10, 20, 3.0), _scored("a.py", 15, 30, 2.0)], 10_000)
             for n in range(r.start_line, r.end_line + 1)]
    assert sorted(lines) == list(range(10, 31))


def test_a_copied_library_and_a_change_log_do_not_take_the_budget(tmp_path):
    repo = make_repo(tmp_path / "repo", {
        "static/jquery-1.11.0.js": "function table(rows) { return rows.map(row => row.cells); }\n" * 50,
        "CHANGES.rst": "Version 2\n---------\n\n- The table renderer sorts rows by their first cell.\n",
        "app/table.py": "def render_table(rows):\n    return sorted(rows)\n",
    })
    result = locate(repo, "sort the table rows by their first cell", on_note=lambda _t: None)
    assert result.regions[0].path == "app/table.py"
    assert "static/jquery-1.11.0.js" not in {r.path for r in result.regions}
    assert result.skipped["vendored"] == 1


def test_a_region_that_replaces_shown_ones_brings_its_companions_once():
    calls = []

    def needs(path, start, end):
        calls.append((start, end))
        return [(1, 2, "header")]
    regions = pack([_scored("a.py", 10, 20, 3.0), _scored("a.py", 5, 40, 0.5), _scored("a.py", 50, 60, 0.4)],
                   10_000, needs)
    assert [(r.start_line, r.end_line) for r in regions] == [(5, 40), (50, 60), (1, 2)]
    assert regions[2].why[0].startswith("needed by lines 10-20")


def test_withheld_files_leave_their_budget_to_the_next_best(tmp_path):
    repo = make_repo(tmp_path / "repo", {
        "config/secrets.py": "UPLOAD_LIMIT_TOKEN = 'x'\n" + "# upload limit\n" * 200,
        "app/limits.py": "UPLOAD_LIMIT = 10\n\n\ndef check_upload(size):\n    return size <= UPLOAD_LIMIT\n",
    })
    asked = []

    def withhold(path):
        asked.append(path)
        return path.startswith("config/")
    result = locate(repo, "raise the upload limit", budget=300, on_note=lambda _t: None, withhold=withhold)
    assert {r.path for r in result.regions} == {"app/limits.py"}
    assert result.withheld == ("config/secrets.py",)
    assert len(asked) == len(set(asked))  # asked once per file


def test_cache_ranks_whole_files_by_the_names_they_define_and_forgets_them_exactly(tmp_path):
    cache = IndexCache(tmp_path / "index.sqlite")
    other = "def helper():\n    # calls send and prepare, mentions hooks and hooks again\n    return 1\n"
    for blob, text in (("blob1", SOURCE), ("blob2", other)):
        record = index_bytes(text.encode(), "python")
        cache.put_many([(blob, "python", record, chunk_file(record.definitions, text.splitlines()))])
    # `prepare` is defined in blob1 only: its name counts more than the words of blob2
    found = cache.search_documents(match_expression(["prepare", "send", "hooks"]), 10)
    assert [blob for blob, _, _ in found] == ["blob1", "blob2"] and all(score > 0 for *_, score in found)
    cache.prune({("blob2", "python")}, set())
    assert [blob for blob, _, _ in cache.search_documents('"prepare"', 10)] == ["blob2"]
    assert cache.search('"request"', 10) == []
    for table in ("chunks", "documents"):  # the rows are gone from the index itself, not only unjoined
        assert cache.db.execute(f"SELECT rowid FROM {table} WHERE {table} MATCH 'request'").fetchall() == []


def test_fusion_adds_how_well_the_whole_file_matches():
    structural = [_scored("a.py", 10, 20, 4.0), _scored("b.py", 1, 5, 3.0)]
    order = [s.path for s in fuse(structural, [], {"b.py": 8.0, "a.py": 1.0})]
    assert order == ["b.py", "a.py"]  # 0.75 + 1.0 against 1.0 + 0.125
    assert [s.path for s in fuse(structural, [])] == ["a.py", "b.py"]


ISSUE = """Latex printing of nested fractions drops the brackets of the denominator

Printing a fraction whose denominator is itself a fraction loses its brackets:

    >>> latex(Frac(a, Frac(1, c)))
    'a / 1 / c'

The expected output keeps the denominator in brackets, as the printer does for a power or a
product of fractions. Nested fractions should print the same way whatever their depth is.
"""
PRINTER = '''class LatexPrinter:
    def _print_Frac(self, expr):
        numerator, denominator = expr.args
        return self._print(numerator) + " / " + self._print(denominator)

    def _print_Mul(self, expr):
        # a product of fractions keeps each factor in brackets
        return " ".join(self.brackets(arg) for arg in expr.args)

    def _print_Pow(self, expr):
        base, power = expr.args
        return self.brackets(base) + "^" + self._print(power)

    def brackets(self, expr):
        return "(" + self._print(expr) + ")"


def latex(expr):
    """The latex string of expr, nested fractions included."""
    return LatexPrinter()._print(expr)
'''
PARSER = '''def convert_frac(tokens):
    # a fraction in latex input: the numerator, then the denominator in brackets, nested fractions too
    numerator = tokens.next()
    denominator = tokens.next()
    return numerator, denominator
'''


def test_an_issue_shows_more_of_the_file_it_matches_as_a_whole(tmp_path):
    # the parser matches the issue's words in one place; the printer matches them all through the file
    repo = make_repo(tmp_path / "repo", {"pkg/printing/latex.py": PRINTER, "pkg/parsing/latex_input.py": PARSER,
                                         "pkg/core/numbers.py": "def gcd(a, b):\n    return a\n"})
    result = locate(repo, ISSUE, budget=4000, on_note=lambda _t: None)
    assert [r.path for r in result.regions] == ["pkg/printing/latex.py", "pkg/printing/latex.py",
                                                 "pkg/parsing/latex_input.py"]


MANPAGE_ISSUE = """Generate man page section directories

The current output writes every file into one flat build folder. The build system of my
distribution expects the output folder to hold one folder per section, and the writer should
create that folder when the build runs. A config option to keep the old flat output folder
would be fine too, so that existing builds of the html output and others keep working.
"""


def test_an_issues_title_picks_the_file_its_long_body_would_not(tmp_path):
    # the body's words (build, output, folder) fill the html builder; the title names the man page one
    repo = make_repo(tmp_path / "repo", {
        "pkg/builders/manpage.py": "class ManualPageBuilder:\n    def write(self, section):\n"
                                   "        # one file per man page\n        return section\n",
        "pkg/builders/html.py": "class HTMLBuilder:\n    def write(self, folder):\n"
                                "        # the build output folder of the html writer\n        output = folder\n"
                                "        # create the output folder when the build runs\n        return output\n\n\n"
                                "def config_option(builds):\n    # keep the build output of existing builds working\n"
                                "    return builds\n",
    })
    result = locate(repo, MANPAGE_ISSUE, budget=4000, on_note=lambda _t: None)
    assert result.regions[0].path == "pkg/builders/manpage.py"


def test_a_companion_that_holds_a_ranked_region_keeps_that_regions_rank():
    def needs(path, start, end):
        return [(1, 19, "header")] if path == "a.py" else []
    regions = pack([_scored("a.py", 13, 19, 3.0), _scored("b.py", 1, 5, 2.0), _scored("a.py", 1, 21, 1.0)], 10_000, needs)
    assert [(r.path, r.start_line, r.end_line) for r in regions] == [("a.py", 1, 21), ("b.py", 1, 5)]
    assert [r.score for r in regions] == [3.0, 2.0]
    only_header = pack([_scored("a.py", 30, 40, 3.0), _scored("b.py", 1, 5, 2.0), _scored("a.py", 1, 20, 1.0)],
                       10_000, needs)
    # the last region holds only the companion header: it is listed at its own rank, not first
    assert [(r.path, r.start_line, r.end_line) for r in only_header] == [("a.py", 30, 40), ("b.py", 1, 5), ("a.py", 1, 20)]
