"""Full-text retrieval: chunks, their FTS5 index in the cache, fusion with the structural ranking,
and packing that shows each line once."""

from surgeon.locate import locate, region_text
from surgeon.locate.cache import IndexCache
from surgeon.locate.chunks import chunk_file, match_expression, words
from surgeon.locate.fusion import fuse
from surgeon.locate.index import index_bytes
from surgeon.locate.pack import pack
from surgeon.locate.rank import Scored
from surgeon.tokens import estimate_tokens
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


def test_pack_shows_the_few_lines_between_two_regions_of_a_file_and_never_a_line_twice():
    regions = pack([_scored("a.py", 10, 20, 3.0), _scored("a.py", 25, 30, 2.0), _scored("a.py", 40, 50, 1.0),
                    _scored("a.py", 23, 23, 0.5), _scored("b.py", 22, 24, 0.4)], 10_000)
    spans = [(r.path, r.start_line, r.end_line) for r in regions]
    assert spans[:3] == [("a.py", 10, 20), ("a.py", 21, 30), ("a.py", 40, 50)]  # 21-24 bridged; 31-39 too far
    assert ("b.py", 22, 24) in spans  # another file's lines are not bridged to
    lines = [(r.path, n) for r in regions for n in range(r.start_line, r.end_line + 1)]
    assert len(lines) == len(set(lines))


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
    regions = pack([_scored("a.py", 20, 30, 3.0), _scored("a.py", 15, 40, 0.5), _scored("a.py", 50, 60, 0.4)],
                   10_000, needs)
    assert [(r.start_line, r.end_line) for r in regions] == [(15, 40), (50, 60), (1, 2)]
    assert regions[2].why[0].startswith("needed by lines 20-30")


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
    assert [r.path for r in result.regions] == ["pkg/printing/latex.py", "pkg/parsing/latex_input.py"]
    assert (result.regions[0].start_line, result.regions[0].end_line) == (1, PRINTER.count("\n"))  # small: whole


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


def _many_handlers(n: int) -> dict[str, str]:
    """n modules that all use the word `handler`, and one that also holds a rare setting."""
    files = {f"pkg/mod{i}.py": f"def run{i}(handler):\n    return handler({i})\n" for i in range(n)}
    files["pkg/limits.py"] = ("ZEBRA_LIMIT = 10\n\n\n"
                              "def check(size, handler):\n    if size > ZEBRA_LIMIT:\n        return handler(size)\n")
    return files


def test_a_word_in_most_files_is_grepped_for_in_the_candidates_only(tmp_path, monkeypatch):
    from surgeon.locate import grep as grep_module

    monkeypatch.setattr("surgeon.locate.engine.LARGE_REPOSITORY", 100)
    monkeypatch.setattr("surgeon.locate.engine.WHOLE_FILE_SHARE", 0)  # the regions of check, not the whole file
    repo = make_repo(tmp_path / "repo", _many_handlers(120))
    locate(repo, "warm the cache", on_note=lambda _t: None)  # the first run indexes: the next one knows `handler` is common
    searched: list[tuple[tuple[str, ...], tuple[str, ...] | None]] = []
    real = grep_module.GrepJob.__init__

    def spy(self, root, patterns, *args, tracked=True, untracked=None, **kwargs):
        searched.append((tuple(patterns), tuple(untracked) if not tracked else None))
        real(self, root, patterns, *args, tracked=tracked, untracked=untracked, **kwargs)
    monkeypatch.setattr(grep_module.GrepJob, "__init__", spy)
    result = locate(repo, "ZEBRA_LIMIT should be passed to the handler", budget=600, on_note=lambda _t: None)
    everywhere = [patterns for patterns, only in searched if only is None]
    assert everywhere and all("handler" not in patterns for patterns in everywhere)
    later = [only for patterns, only in searched if "handler" in patterns]
    assert len(later) == 1 and "pkg/limits.py" in later[0] and len(later[0]) < 121
    check = next(r for r in result.regions if r.path == "pkg/limits.py" and r.symbol == "check")
    assert "grep: 'handler' x2" in check.why  # its lines were searched for the common word
    monkeypatch.setattr("surgeon.locate.engine.LARGE_REPOSITORY", 1000)  # in a smaller repository: grepped everywhere
    searched.clear()
    locate(repo, "ZEBRA_LIMIT should be passed to the handler", budget=600, on_note=lambda _t: None)
    assert all(only is None for _, only in searched) and any("handler" in patterns for patterns, _ in searched)


def test_which_terms_are_common_by_the_whole_file_index(tmp_path):
    from surgeon.locate.query import parse_instruction
    from surgeon.locate.search import common_terms

    cache = IndexCache(tmp_path / "index.sqlite")
    for i, text in enumerate(_many_handlers(120).values()):
        record = index_bytes(text.encode(), "python")
        cache.put_many([(f"blob{i}", "python", record, chunk_file(record.definitions, text.splitlines()))])
    query = parse_instruction('ZEBRA_LIMIT should reach the handler; "run handler" too')
    common = {query.terms[i].display: share for i, share in common_terms(query, cache).items()}
    assert sorted(common) == ["handler", "run"] and 0.99 <= common["handler"] <= 1.0  # not the phrase, not the rare name
    assert any(t.display == "run handler" for t in query.terms)
    first, later = query.patterns_apart(common_terms(query, cache))
    assert "handler" in later and "handler" not in first and any("zebra" in p for p in first)
    small = IndexCache(tmp_path / "small.sqlite")  # in a small repository every term is grepped for everywhere
    record = index_bytes(b"def run(handler):\n    return handler\n", "python")
    small.put_many([("b", "python", record, chunk_file(record.definitions, ["def run(handler):", "    return handler"]))])
    assert common_terms(query, small) == {}


CCODE_ISSUE = """ccode(sinc(x)) doesn't work

Calling the C printer on an expression that holds sinc gives a comment that it is not
supported instead of code. The math library has no sinc, but the printer could write it as a
piecewise of sin(x)/x and 1 at zero, the way other functions that C lacks are printed. The
expression printer and the string printer both print sinc fine, only the C one does not.
"""


def test_an_issues_title_word_that_a_path_spells_picks_that_file(tmp_path):
    # the body's words (printer, expression, print) fill the string printer; the title's ccode is the file's name
    repo = make_repo(tmp_path / "repo", {
        "pkg/printing/ccode.py": "class CodePrinter:\n    # functions of the math library; others are not supported\n"
                                 "    known = {'sin': 'sin', 'cos': 'cos'}\n\n"
                                 "    def _print_Function(self, expr):\n        return self.known[expr.name]\n\n\n"
                                 "def ccode(expr):\n    return CodePrinter()._print_Function(expr)\n",
        "pkg/printing/str.py": "class StrPrinter:\n    # the string printer prints every expression\n"
                               "    def _print_Function(self, expr):\n        # a function of an expression, sin or sinc\n"
                               "        return expr.name + '(%s)' % self._print(expr.args)\n",
        "pkg/functions/special.py": "def sinc(x):\n    # sin(x)/x, and 1 at zero\n    return x\n",
    })
    result = locate(repo, CCODE_ISSUE, budget=4000, on_note=lambda _t: None)
    assert result.regions[0].path == "pkg/printing/ccode.py"


def test_path_scores_count_rare_stemmed_words_of_folders_and_names():
    from surgeon.locate.query import parse_instruction
    from surgeon.locate.search import path_scores

    paths = ["pkg/printing/latex.py", "pkg/parsing/latex/parse.py", "pkg/printing/str.py", "pkg/core/numbers.py",
             "docs/printers.rst"]
    scores = path_scores(parse_instruction("the latex printer drops brackets"), paths)
    assert max(scores, key=lambda p: scores[p]) == "pkg/printing/latex.py" and scores["pkg/printing/latex.py"] == 1.0
    assert "pkg/core/numbers.py" not in scores and 0 < scores["pkg/printing/str.py"] < 1  # printer ~ printing
    assert path_scores(parse_instruction("the"), paths) == {}


BUG_TEMPLATE = """name: Bug report
body:
  - type: textarea
    attributes:
      label: Bug description
      description: What happened? Paste the command used, the configuration and the output.
  - type: textarea
    attributes:
      label: Configuration
  - type: textarea
    attributes:
      label: Command used
  - type: textarea
    attributes:
      label: Expected behavior
  - type: input
    attributes:
      label: OS / Environment and version
"""
TEMPLATED_ISSUE = """Notes option ignores note tags that are punctuation

### Bug description

The notes checker does not report a note tag such as ??? that is only punctuation.

### Configuration

notes=YES,???

### Command used

lint test.py --notes=YES,???

### Expected behavior

Both tags reported, as the configuration asks.

### OS / Environment and version

Linux, version 2.13
"""


def test_an_issue_template_does_not_outrank_the_code_the_issue_is_about(tmp_path):
    files = {".github/ISSUE_TEMPLATE/BUG-REPORT.yml": BUG_TEMPLATE,
             "pkg/checkers/misc.py": "class NotesChecker:\n    # the notes option: note tags to report\n"
                                     "    options = {'notes': ('FIXME', 'TODO')}\n\n"
                                     "    def open(self):\n        # a regular expression of the note tags\n"
                                     "        notes = '|'.join(self.options['notes'])\n"
                                     "        self.pattern = notes + r'\\b'\n"}
    repo = make_repo(tmp_path / "repo", files)
    result = locate(repo, TEMPLATED_ISSUE, budget=4000, on_note=lambda _t: None)
    assert result.regions[0].path == "pkg/checkers/misc.py"
    asked = locate(repo, "Bug report template: ask for the configuration\n\n" + TEMPLATED_ISSUE.split("\n", 1)[1],
                   budget=4000, on_note=lambda _t: None)
    assert asked.regions[0].path == ".github/ISSUE_TEMPLATE/BUG-REPORT.yml"  # the title names it


NUMREF_ISSUE = """Upgrade started generating "no number is assigned for table" warnings

We updated to version 3.3 and now every build of our documentation warns that no number is
assigned for a table, in the single page and the latex output. I looked through the changelog
but found nothing about numref or table numbers that changed; could someone point me to where
the number of a table is assigned so I can see why the warning appears?
"""


def test_an_issue_that_mentions_the_changelog_in_passing_is_not_about_it(tmp_path):
    changes = "".join(f"- numref: table number {i} assigned in the latex and single page builds; a warning\n"
                      for i in range(40))
    repo = make_repo(tmp_path / "repo", {
        "CHANGES": "Release 3.3\n===========\n\n" + changes,
        "pkg/domains/std.py": "def get_fignumber(builder, table):\n    # the number assigned to a table for numref\n"
                              "    if table not in builder.numbers:\n"
                              "        raise ValueError('no number is assigned for table')\n"
                              "    return builder.numbers[table]\n",
    })
    result = locate(repo, NUMREF_ISSUE, budget=2000, on_note=lambda _t: None)
    assert result.regions[0].path == "pkg/domains/std.py"


def test_a_word_in_more_than_half_the_chunks_is_not_searched(tmp_path, monkeypatch):
    files = {f"pkg/m{i}.py": f"class C{i}:\n    def run(self):\n        return self.value{i}\n\n"
                             f"    def stop(self):\n        return self.value{i}\n" for i in range(6)}
    files["pkg/limits.py"] = "class Limits:\n    def zebra(self):\n        return self.zebra_limit\n"
    repo = make_repo(tmp_path / "repo", files)
    expressions: list[str] = []
    real = IndexCache.search

    def spy(self, expression, limit):
        expressions.append(expression)
        return real(self, expression, limit)
    monkeypatch.setattr(IndexCache, "search", spy)
    result = locate(repo, "self.zebra_limit is read too early", on_note=lambda _t: None)
    assert result.regions[0].path == "pkg/limits.py"
    assert expressions and '"self"' not in expressions[-1] and '"zebra"' in expressions[-1]
    locate(repo, "self", on_note=lambda _t: None)  # nothing else to search: the common word is searched
    assert expressions[-1] == '"self"'


CI_ISSUE = """CI workflow fails on windows runners

The test job of the workflow stops at the step that installs the package on the windows
runners: the shell of that step is bash, which the windows image runs differently, and the
cache step then finds no folder to restore. The linux and macos runners pass the same steps.
Setting the shell of the install step per runner would fix the windows job.
"""


def test_an_issues_title_names_a_setup_file_by_its_name_kind_or_folder():
    from surgeon.locate.pathweights import path_factor
    from surgeon.locate.query import parse_instruction

    ci, templated = parse_instruction(CI_ISSUE), parse_instruction(TEMPLATED_ISSUE)
    for path in (".github/workflows/main.yml", ".github/workflows/ci.yml"):
        assert path_factor(ci, path) == 1.0  # the title says CI workflow
        assert path_factor(templated, path) == 0.5
    assert path_factor(templated, "pkg/checkers/misc.py") == 1.0
    assert path_factor(parse_instruction("pyproject.toml: the classifiers\n\n" + CI_ISSUE), "pyproject.toml") == 1.0
    assert path_factor(parse_instruction("fix the yaml loader"), "conf/app.yaml") == 1.0  # not an issue: no setup rule


def test_the_later_grep_reaches_shown_candidates_behind_withheld_files_and_pinned_ones(tmp_path, monkeypatch):
    monkeypatch.setattr("surgeon.locate.engine.LARGE_REPOSITORY", 100)
    monkeypatch.setattr("surgeon.locate.engine.LATER_POOL", 2)
    files = _many_handlers(110)
    files.update({f"hidden/h{i}.py": "def frobnicate():\n    frobnicate(); frobnicate()\n" for i in range(3)})
    files.update({f"shown/s{i}.py": "Z = 'frobnicate'\nY = handler = 1\n" for i in range(3)})
    files["static/lib-1.2.3.js"] = "function frobnicate() {}\n" + "\n" * 30 + "var handler = 1;\n"  # skipped by its name
    repo = make_repo(tmp_path / "repo", files)
    locate(repo, "warm the cache", on_note=lambda _t: None)
    result = locate(repo, "frobnicate handler", budget=4000, on_note=lambda _t: None,
                    withhold=lambda p: p.startswith("hidden/"))
    for path in ("shown/s0.py", "shown/s1.py", "shown/s2.py"):
        assert any(r.path == path and "grep: 'handler' x1" in r.why for r in result.regions), path
    pinned = locate(repo, "frobnicate handler", pinned=["static/lib-1.2.3.js"], budget=4000, on_note=lambda _t: None)
    assert "grep: 'handler' x1" in pinned.regions[0].why


def test_a_setup_files_name_kind_and_folder_as_a_title_says_them():
    from surgeon.locate.pathweights import _title_names

    assert _title_names("Travis build fails", ".travis.yml")
    assert _title_names("pre-commit-config hooks run twice", ".pre-commit-config.yaml")
    assert _title_names("the yaml of the workflow", "conf/app.yml")
    assert not _title_names("Crash in the parser", "MANIFEST.in")  # "in" is a word, not the kind
    assert not _title_names("Notes option ignores tags", ".github/ISSUE_TEMPLATE/BUG-REPORT.yml")
    # a folder is named by every word of its name: a message template is not the issue templates' folder
    assert not _title_names("Using custom braces in message template does not work", ".github/ISSUE_TEMPLATE/BUG-REPORT.yml")
    assert _title_names("The bug issue template asks for the version twice", ".github/ISSUE_TEMPLATE/BUG-REPORT.yml")
    assert _title_names("Docs build warns on every page", "docs/conf.py")


def test_path_scores_find_a_word_joined_from_a_names_parts():
    from surgeon.locate.query import parse_instruction
    from surgeon.locate.search import path_scores

    scores = path_scores(parse_instruction("IsIn check broken"), ["pkg/is_in.py", "pkg/isin.py", "pkg/other.py"])
    assert scores == {"pkg/is_in.py": 1.0, "pkg/isin.py": 1.0}


DERIVATIVE_ISSUE = """Wrong Derivative kind attribute

I am playing around with the kind attribute of expressions. The kind of an integral of a
matrix symbol is a matrix kind, which is correct. The kind of a derivative of the same matrix
symbol should be a matrix kind as well, but it comes out as the undefined kind:

    d = Derivative(A, x)
    d.kind  # undefined
"""


def test_a_title_word_the_body_calls_is_the_name_of_the_class_it_means(tmp_path):
    # kind.py says kind, matrix and undefined more often; the title's Derivative is the class the body calls
    repo = make_repo(tmp_path / "repo", {
        "pkg/core/kind.py": "class Kind:\n    pass\n\n\n"
                            "class UndefinedKind(Kind):\n    # when no kind is known\n    pass\n\n\n"
                            "class MatrixKind(Kind):\n    element = 'matrix'\n",
        "pkg/core/function.py": "class Function:\n    nargs = 1\n\n\n"
                                "class Derivative:\n    def __init__(self, expr, *variables):\n"
                                "        self.expr = expr\n        self.variables = variables\n",
        "pkg/integrals/integrals.py": "class Integral:\n    @property\n    def kind(self):\n"
                                      "        return self.function.kind  # an integral keeps the matrix kind\n",
    })
    result = locate(repo, DERIVATIVE_ISSUE, budget=4000, on_note=lambda _t: None)
    assert result.regions[0].path == "pkg/core/function.py", [r.path for r in result.regions]


def test_a_bare_file_name_that_many_files_have_names_none_of_them(tmp_path):
    files = {f"pkg/{part}/__init__.py": f"from pkg.{part}.core import run_{part}\n" for part in "abcd"}
    files["pkg/napoleon/docstring.py"] = ("def escape_attribute(name):\n"
                                          "    # a trailing underscore of an attribute name is escaped\n"
                                          "    return name.replace('_', '\\\\_')\n")
    repo = make_repo(tmp_path / "repo", files)
    issue = "Trailing underscore of an attribute name is escaped\nin a package with an empty `__init__.py`"
    result = locate(repo, issue, budget=4000, on_note=lambda _t: None)
    assert result.regions[0].path == "pkg/napoleon/docstring.py"
    assert not any(w.startswith("named in the instruction") for r in result.regions for w in r.why)
    named = locate(repo, issue.replace("`__init__.py`", "`pkg/b/__init__.py`"), budget=4000, on_note=lambda _t: None)
    assert any(r.path == "pkg/b/__init__.py" and "named in the instruction: pkg/b/__init__.py" in r.why
               for r in named.regions)


def test_a_region_that_fits_is_never_cut_or_dropped_for_its_gap_lines():
    lines = tuple(f"line {n} " + "x" * 90 for n in range(1, 101))

    def scored(start, end, score, companion=False):
        return Scored("a.py", start, end, None, "lines", score, ("x",), lines, ((end, 1.0),), companion=companion)
    one = estimate_tokens(region_text(lines, 1, 1))
    assert [(r.start_line, r.end_line) for r in pack([scored(20, 25, 2.0), scored(10, 14, 1.0)], 12 * one)] == \
        [(20, 25), (10, 14)]  # 10-19 would not fit: 10-14 is shown as it is, not trimmed
    assert [(r.start_line, r.end_line) for r in pack([scored(8, 10, 1.0)], 7 * one, lambda *_: [(1, 2, "header")])] \
        == [(8, 10), (1, 2)]  # the header is kept, unbridged
    regions = pack([scored(26, 27, 3.0), scored(12, 13, 2.0), scored(12, 20, 1.0)], 12 * one)
    assert (12, 20) in [(r.start_line, r.end_line) for r in regions]  # it still replaces 12-13


def test_the_bare_name_rule_counts_names_in_any_case_and_holds_for_conventional_names(tmp_path):
    files = {f"p{n}/conf.py": f"VALUE_{n} = {n}\n" for n in range(4)}
    files.update({f"p{n}/README.md": f"# part {n}\n" for n in range(5)})
    files["core/settings.py"] = "BROKEN_SETTING = 1  # the setting is broken\n"
    repo = make_repo(tmp_path / "repo", files)
    for instruction in ("Conf.py is broken: the setting", "fix the broken setting named in README.md",
                        "the setting in ./conf.py is broken"):
        result = locate(repo, instruction, budget=2000, on_note=lambda _t: None)
        assert not any(w.startswith("named in the instruction") for r in result.regions for w in r.why), instruction


def _put(cache, blob, text):
    record = index_bytes(text.encode(), "python")
    cache.put_many([(blob, "python", record, chunk_file(record.definitions, text.splitlines()))])


def test_the_full_text_index_holds_the_current_blobs_only(tmp_path):
    # an old version of a file ranked above the current one took the search's slots, and every
    # version the cache had seen moved BM25's statistics: results depended on the cache's history
    old = "def send_hooks():\n    return hooks + hooks + hooks\n"
    new = "def send_hooks():\n    return hooks\n"
    other = "def unrelated():\n    return 1\n"
    fresh = IndexCache(None)
    _put(fresh, "new", new)
    _put(fresh, "other", other)
    seen = IndexCache(None)
    for blob, text in (("old", old), ("new", new), ("other", other)):
        _put(seen, blob, text)
    assert [row[0] for row in seen.search('"hooks"', 1)] == ["old"]
    assert seen.activate({("new", "python"), ("other", "python")}) == (0, 1)
    assert seen.search('"hooks"', 10) == fresh.search('"hooks"', 10)
    assert seen.search_documents('"hooks"', 10) == fresh.search_documents('"hooks"', 10)
    assert seen.frequencies("chunks", ["hooks"]) == fresh.frequencies("chunks", ["hooks"]) == (2, {"hooks": 1})
    assert seen.frequencies("documents", ["hooks"]) == (2, {"hooks": 1})
    assert seen.activate({("new", "python"), ("other", "python")}) == (0, 0)
    # back to the old version: its rows return from their stored words, nothing is parsed
    assert seen.activate({("old", "python"), ("other", "python")}) == (1, 1)
    assert [row[0] for row in seen.search('"hooks"', 10)] == ["old"]
    seen.prune({("new", "python")}, set())  # forgets an active blob's rows and an inactive one's spans
    assert seen.search('"hooks"', 10) == [] and seen.frequencies("documents", ["hooks"]) == (0, {"hooks": 0})
    assert seen.activate({("new", "python")}) == (1, 0)
    assert [row[0] for row in seen.search('"hooks"', 10)] == ["new"]


def test_locate_ranks_a_checkout_alike_whatever_versions_the_cache_saw(tmp_path):
    files = {f"pkg/mod{i}.py": f"def handler_{i}(request):\n    return request.body{i}\n" for i in range(6)}
    files["pkg/upload.py"] = "def upload(request):\n    return request.limit\n"
    repo = make_repo(tmp_path / "repo", files)
    first = git(repo, "rev-parse", "HEAD").strip()
    for i in range(6):  # a later version in which every file talks about the upload limit
        (repo / f"pkg/mod{i}.py").write_text(f"def handler_{i}(request):\n    return upload_limit(request, {i})\n"
                                             + "# upload limit\n" * (i + 1))
    git(repo, "commit", "-qam", "later")
    assert locate(repo, "the upload limit of a request", on_note=lambda _t: None).regions
    git(repo, "checkout", "-q", first)
    seen = locate(repo, "the upload limit of a request", on_note=lambda _t: None)
    clean = make_repo(tmp_path / "clean", files)
    fresh = locate(clean, "the upload limit of a request", on_note=lambda _t: None)
    assert [(r.path, r.start_line, r.end_line, r.score) for r in seen.regions] == \
        [(r.path, r.start_line, r.end_line, r.score) for r in fresh.regions]
