"""Pure ranking and packing: roles, rarity, proximity, merging, trimming and the budget."""

from hypothesis import given, settings
from hypothesis import strategies as st

from surgeon.locate import estimate_tokens, region_text
from surgeon.locate.hits import count_matches
from surgeon.locate.index import index_bytes
from surgeon.locate.pack import pack
from surgeon.locate.query import parse_instruction
from surgeon.locate.rank import FileEvidence, Scored, idf, rank_file, select, widen

SOURCE = '''\
"""Limits."""

# the upload limit is enforced here
UPLOAD_LIMIT = 10


def check_upload(size):
    if size > UPLOAD_LIMIT:
        raise ValueError("too big")
    return size


def unrelated():
    return 1
'''


def evidence(query, source=SOURCE, path="limits.py", language="python"):
    record = index_bytes(source.encode(), language)
    lines = tuple(source.splitlines())
    hits = {}
    for number, text in enumerate(lines, 1):
        for index, term in enumerate(query.terms):
            count = count_matches(term, text)
            if count:
                hits.setdefault(number, {})[index] = count
    return FileEvidence(path, record, lines, hits)


def test_estimate_tokens_is_chars_over_four_rounded_up():
    assert estimate_tokens("") == 0
    assert estimate_tokens("abcd") == 1
    assert estimate_tokens("abcde") == 2


def test_count_matches_respects_word_and_camel_case_boundaries():
    term = parse_instruction("sing").terms[0]
    assert count_matches(term, "using it") == 0
    assert count_matches(term, "single_sing") == 2
    limit = parse_instruction("limits").terms[0]
    assert count_matches(limit, "read_limited_body(x)") == 1
    assert count_matches(limit, "rateLimit") == 1
    assert count_matches(limit, "unlimited") == 0


def test_idf_is_high_for_rare_and_low_for_common_terms():
    assert idf(1, 1000) > 0.9
    assert idf(900, 1000) < 0.15
    assert idf(5, 1000) > idf(50, 1000) > idf(500, 1000)
    assert idf(0, 1) == 1.0


def test_definition_outranks_reference_outranks_comment():
    query = parse_instruction("UPLOAD_LIMIT")
    idfs = [1.0] * len(query.terms)
    scored = {(s.start, s.end): s for s in rank_file(query, evidence(query), idfs)}
    definition = next(s for s in scored.values() if s.start <= 4 <= s.end)
    reference = next(s for s in scored.values() if s.start <= 8 <= s.end)
    assert definition.score > reference.score
    assert any(w.startswith("defines UPLOAD_LIMIT") for w in definition.why)
    comment_only = parse_instruction("enforced")
    (only,) = rank_file(comment_only, evidence(comment_only), [1.0] * len(comment_only.terms))
    assert only.score < reference.score
    assert any("comment" in w for w in only.why)


def test_hits_expand_to_the_enclosing_function():
    query = parse_instruction("raise ValueError when too big")
    regions = rank_file(query, evidence(query), [1.0] * len(query.terms))
    best = max(regions, key=lambda s: s.score)
    assert (best.start, best.end, best.symbol, best.kind) == (7, 10, "check_upload", "function")


def test_several_terms_in_one_region_beat_one_term_twice():
    source = "def a():\n    alpha()\n    beta()\n\n\ndef b():\n    alpha()\n    alpha()\n"
    query = parse_instruction("alpha beta")
    regions = {s.symbol: s for s in rank_file(query, evidence(query, source), [1.0] * len(query.terms))}
    assert regions["a"].score > regions["b"].score


def test_rare_terms_outweigh_common_ones():
    source = "def a():\n    common_thing()\n\n\ndef b():\n    rare_thing()\n"
    query = parse_instruction("common_thing rare_thing")
    idfs = [0.1 if "common" in t.display else 0.9 for t in query.terms]
    regions = {s.symbol: s for s in rank_file(query, evidence(query, source), idfs)}
    assert regions["b"].score > regions["a"].score


def test_a_large_function_is_cut_to_a_window_around_its_hit():
    body = "\n".join(f"    step_{i}()" for i in range(200))
    source = f"def huge():\n{body}\n    needle_call()\n" + "\n".join(f"    after_{i}()" for i in range(50)) + "\n"
    query = parse_instruction("needle_call")
    (region,) = rank_file(query, evidence(query, source), [1.0] * len(query.terms))
    assert region.symbol == "huge" and region.start <= 202 <= region.end
    assert region.end - region.start < 60


def scored(start, end, score, lines, hits=(), path="f.py", pinned=False):
    return Scored(path, start, end, None, "lines", score, (), lines, tuple((h, 1.0) for h in hits), pinned)


def test_pack_trims_a_region_that_does_not_fit_around_its_hit():
    lines = tuple(f"line number {i:04d} with some text" for i in range(1, 401))
    item = scored(1, 400, 5.0, lines, hits=(300,))
    (region,) = pack([item], 200)
    assert region.tokens <= 200
    assert region.start_line <= 300 <= region.end_line
    assert any("trimmed" in w for w in region.why)


def test_select_drops_weak_noise_and_keeps_pinned_first():
    lines = ("x",) * 10
    items = [scored(1, 2, 5.0, lines), scored(3, 4, 0.2, lines), scored(5, 6, 0.1, lines, pinned=True)]
    chosen = select(items)
    assert [s.start for s in chosen] == [5, 1]


def test_only_a_few_weak_regions_when_nothing_matches_well():
    lines = ("x",) * 100
    items = [scored(i, i, 0.5, lines) for i in range(1, 50, 2)]
    assert len(select(items)) == 3


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 300), st.integers(0, 60), st.floats(0.1, 10), st.integers(0, 60)), min_size=1,
             max_size=12),
    st.integers(1, 3000),
)
def test_packed_regions_fit_the_budget_and_stay_inside_files(specs, budget):
    lines = tuple("word " * (i % 17) for i in range(400))
    items = [scored(start, min(400, start + length), score, lines, hits=(min(400, start + hit),), path=f"f{n}.py")
             for n, (start, length, score, hit) in enumerate(specs)]
    regions = pack(select(items), budget)
    assert sum(r.tokens for r in regions) <= budget
    for r in regions:
        assert 1 <= r.start_line <= r.end_line <= 400
        assert r.tokens == estimate_tokens(region_text(lines, r.start_line, r.end_line))


def test_a_named_identifier_definition_beats_a_word_inside_a_long_name():
    source = "class URLValidator:\n    pass\n\n\ndef make_url_validator_cache():\n    pass\n"
    query = parse_instruction("URLValidator")
    regions = {s.symbol: s for s in rank_file(query, evidence(query, source), [1.0] * len(query.terms))}
    assert regions["URLValidator"].score > 2 * regions["make_url_validator_cache"].score


def test_test_files_weigh_less_unless_the_instruction_is_about_tests():
    source = "def parse_header(value):\n    return value\n"
    plain = parse_instruction("parse_header drops the charset")
    idfs = [1.0] * len(plain.terms)
    source_score = rank_file(plain, evidence(plain, source, "pkg/http.py"), idfs)[0].score
    test_score = rank_file(plain, evidence(plain, source, "tests/test_http.py"), idfs)[0].score
    assert test_score < source_score
    about_tests = parse_instruction("add a test for parse_header")
    idfs = [1.0] * len(about_tests.terms)
    assert rank_file(about_tests, evidence(about_tests, source, "tests/test_http.py"), idfs)[0].score >= \
        rank_file(about_tests, evidence(about_tests, source, "pkg/http.py"), idfs)[0].score
    body = " ".join(["the", "header", "comes", "back", "without", "its", "charset"] * 6)
    issue = parse_instruction(f"parse_header drops the charset when a fixture sets it\n{body}")
    idfs = [1.0] * len(issue.terms)
    assert rank_file(issue, evidence(issue, source, "tests/test_http.py"), idfs)[0].score < \
        rank_file(issue, evidence(issue, source, "pkg/http.py"), idfs)[0].score


def test_a_region_inside_a_long_definition_is_widened_to_it_when_it_fits():
    body = "\n".join(f"    step_{i} = compute({i})" for i in range(120))
    source = f"import os\n\n\ndef resolve(request):\n{body}\n    return request\n"
    record = index_bytes(source.encode(), "python")
    lines = tuple(source.split("\n"))
    window = Scored("a.py", 40, 60, "resolve", "function", 1.0, ("grep: 'request' x1",), lines, ((50, 1.0),))
    wide = widen(window, record, max_tokens=4000)
    assert (wide.start, wide.end, wide.symbol) == (4, 125, "resolve")
    assert wide.why[-1] == "whole resolve (lines 4-125)" and wide.hit_lines == window.hit_lines
    assert widen(window, record, max_tokens=200) == window  # too long for what it may take
    top = Scored("a.py", 1, 1, None, "lines", 1.0, (), lines, ())
    assert widen(top, record, max_tokens=4000) == top  # in no definition
    whole = widen(window, record, max_tokens=4000, whole_file_tokens=4000)  # a file this small is shown whole
    assert (whole.start, whole.end, whole.kind) == (1, len(lines), "file") and whole.why[-1].startswith("the whole file")
    assert widen(window, record, max_tokens=4000, whole_file_tokens=200) == wide  # too large to show whole



def test_a_long_json_file_is_data_and_weighs_less():
    query = parse_instruction("refine does not simplify complex arguments")
    idfs = [1.0] * len(query.terms)
    padding = "".join(f'  "pkg/tests/test_module_{i}.py": 0.5,\n' for i in range(1200))

    def best(text):
        return max(s.score for s in rank_file(query, evidence(query, text, "data.json", "json"), idfs))
    small = best('{\n  "refine": {"complex": true}\n}\n')
    assert best('{\n' + padding + '  "refine": {"complex": true}\n}\n') < 0.5 * small


def test_schema_migrations_weigh_less_but_not_the_migration_framework():
    from surgeon.locate.pathweights import MIGRATION_WEIGHT, path_factor

    query = parse_instruction("makemigrations writes the wrong path for an inner class")
    for record in ("shop/migrations/0001_initial.py", "alembic/versions/3f2a_add_users.py",
                   "migrations/versions/3f2a_add_users.py", "db/migrate/20240101120000_add_users.rb"):
        assert path_factor(query, record) == MIGRATION_WEIGHT, record
    for code in ("django/db/migrations/serializer.py", "shop/migrations/__init__.py", "app/versions/v2.py"):
        assert path_factor(query, code) == 1.0, code
    assert path_factor(parse_instruction("fix 0001_initial"), "shop/migrations/0001_initial.py") == 1.0
