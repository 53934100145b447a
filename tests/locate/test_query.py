"""Instruction -> terms: identifiers, paths, URLs, quoted strings, headers, messages, frames."""

from hypothesis import given, settings
from hypothesis import strategies as st

from surgeon.locate.frames import parse_frames
from surgeon.locate.query import parse_instruction
from surgeon.locate.terms import split_identifier, stem


def kinds(instruction: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for term in parse_instruction(instruction).terms:
        out.setdefault(term.kind, set()).add(term.display)
    return out


def variants(instruction: str) -> set[str]:
    return {v for t in parse_instruction(instruction).terms for v in t.variants}


def test_split_identifier_handles_camel_snake_acronyms_and_digits():
    assert split_identifier("URLValidator") == ["url", "validator"]
    assert split_identifier("max_body_bytes") == ["max", "body", "bytes"]
    assert split_identifier("parseHTTPResponse2") == ["parse", "http", "response", "2"]
    assert split_identifier("Content-Security-Policy") == ["content", "security", "policy"]


def test_stem_keeps_a_searchable_prefix():
    assert stem("limits") == "limit"
    assert stem("allowed") == "allow"
    assert stem("parsing") == "pars"
    assert stem("class") == "class"


def test_identifiers_are_searched_in_every_spelling_with_their_parts():
    found = kinds("rename maxBodyBytes")
    assert "maxBodyBytes" in found["identifier"]
    assert {"body", "bytes"} <= found["part"]
    assert {"maxbodybytes", "max_body_bytes", "max-body-bytes"} <= variants("rename maxBodyBytes")


def test_stop_words_and_instruction_verbs_are_dropped():
    found = variants("please update the function so that it does the thing")
    assert found == set()


def test_dotted_names_keep_the_whole_and_the_pieces():
    found = kinds("fix URLValidator.__call__ for IPv6")
    assert "URLValidator.__call__" in found["identifier"]
    assert {"URLValidator", "__call__"} <= found["identifier"]


def test_paths_and_file_names_are_recognised():
    query = parse_instruction("in deploy/nginx/site.conf and settings.py raise the limit")
    assert "deploy/nginx/site.conf" in query.paths
    assert "settings.py" in query.paths


def test_urls_give_the_url_the_domain_and_a_shape_term():
    found = kinds("update the CSP to allow https://s.ado.im")
    assert "https://s.ado.im" in found["url"]
    assert "s.ado.im" in found["domain"]
    assert "any URL" in found["shape"]
    assert "content-security-policy" in variants("update the CSP to allow https://s.ado.im")


def test_bare_domains_but_not_dotted_code_or_files():
    assert "api.example.org" in kinds("proxy requests to api.example.org")["domain"]
    assert "domain" not in kinds("call self.dispatch from views.py")


def test_quoted_strings_become_phrases_or_identifiers():
    found = kinds('the message "request body too large" should mention `MAX_BODY_BYTES`')
    assert "request body too large" in found["phrase"]
    assert "MAX_BODY_BYTES" in found["identifier"]


def test_header_names():
    found = kinds("set X-Frame-Options and Content-Security-Policy headers")
    assert {"X-Frame-Options", "Content-Security-Policy"} <= found["header"]
    assert "content_security_policy" in variants("set Content-Security-Policy")


def test_routes():
    found = kinds("add a /collect endpoint")
    assert "/collect" in found["route"]
    assert "collect" in found["word"]


def test_python_traceback_frames_innermost_first_and_error_message():
    trace = (
        "Traceback (most recent call last):\n"
        '  File "/srv/app/ingest/app.py", line 41, in ingest_events\n'
        "    batch = EventBatch.model_validate_json(body)\n"
        '  File "/usr/lib/python3/site-packages/pydantic/main.py", line 130, in __call__\n'
        "ValueError: must be an http(s) URL\n"
    )
    query = parse_instruction(trace)
    assert [(f.path, f.line, f.function, f.depth) for f in query.frames] == [
        ("/usr/lib/python3/site-packages/pydantic/main.py", 130, "__call__", 0),
        ("/srv/app/ingest/app.py", 41, "ingest_events", 1),
    ]
    found = kinds(trace)
    assert "must be an http(s) URL" in found["phrase"]
    assert {"ValueError", "ingest_events", "EventBatch.model_validate_json"} <= found["identifier"]
    assert "recent" not in found.get("word", set())


def test_javascript_java_go_and_rust_frames():
    js = parse_frames("TypeError: x is undefined\n    at flush (web/analytics.js:60:12)\n    at web/app.js:3:1")
    assert [(f.path, f.line, f.function) for f in js] == [("web/analytics.js", 60, "flush"), ("web/app.js", 3, None)]
    java = parse_frames("java.lang.NullPointerException\n\tat com.acme.Billing.charge(Billing.java:42)")
    assert [(f.path, f.line, f.function) for f in java] == [("Billing.java", 42, "charge")]
    go = parse_frames("panic: boom\n\ngoroutine 1 [running]:\nmain.(*Server).Handle(...)\n\t/home/me/app/server.go:57 +0x1d")
    assert [(f.path, f.line, f.function) for f in go] == [("/home/me/app/server.go", 57, "Handle")]
    rust = parse_frames("thread 'main' panicked at src/parser.rs:88:13:\nindex out of bounds")
    assert [(f.path, f.line) for f in rust] == [("src/parser.rs", 88)]
    warning = parse_frames("[redacted]/site-packages/pylint/reporters/text.py:206: UserWarning: Don't recognize")
    assert [(f.path, f.line) for f in warning] == [("/site-packages/pylint/reporters/text.py", 206)]
    absolute = parse_frames("/home/me/proj/src/main.rs:10:5: error")
    assert [(f.path, f.line) for f in absolute] == [("/home/me/proj/src/main.rs", 10)]


def test_too_many_terms_are_capped_most_specific_first():
    text = " ".join(f"word{i}_name" for i in range(100))
    query = parse_instruction(text)
    assert 0 < len(query.patterns) <= 48


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_any_text_parses_to_lower_case_non_empty_variants(text):
    query = parse_instruction(text)
    for term in query.terms:
        assert term.variants
        for variant in term.variants:
            assert variant == variant.lower() and len(variant) >= 2


def test_dotted_code_names_are_not_mistaken_for_files_or_domains():
    query = parse_instruction("only use navigator.sendBeacon and Store.Put, see README.md and s.ado.im")
    found = {t.display for t in query.terms}
    assert {"navigator.sendBeacon", "Store.Put"} <= found
    assert query.paths == ("README.md",)
    assert "s.ado.im" in found


def test_an_instruction_starting_with_error_or_panic_keeps_its_words():
    # "Error concat dataset and dataarray" is an instruction (an issue title), not a compiler line
    for text in ("Error concat dataset and dataarray", "Panic when reading an empty config"):
        words = {t.display.lower() for t in parse_instruction(text).terms}
        assert {"concat", "dataset", "dataarray"} <= words or {"reading", "empty", "config"} <= words


def test_an_error_message_line_keeps_its_words_beside_the_phrase():
    terms = parse_instruction("error: cannot find value `limit` in this scope").terms
    kinds = {t.display: t.kind for t in terms}
    assert kinds.get("scope") == "word" and any(k == "phrase" for k in kinds.values())


def test_pytest_tracebacks_are_frames_innermost_last():
    text = ("_ ERROR collecting tests/test_x.py _\n"
            "/usr/lib/python3.8/site-packages/_pytest/python.py:617: in _importtestmodule\n"
            "    mod = import_path(self.path)\n"
            "src/shop/rewrite.py:760: in is_disabled\n"
            '    return "NO" in docstring\n'
            "E   TypeError: argument of type 'int' is not iterable\n")
    frames = parse_frames(text)
    assert [(f.path, f.line, f.function, f.depth) for f in frames] == [
        ("src/shop/rewrite.py", 760, "is_disabled", 0),
        ("/usr/lib/python3.8/site-packages/_pytest/python.py", 617, "_importtestmodule", 1)]


def test_an_issue_title_weighs_more_than_its_long_body():
    body = " ".join(["the", "collector", "installs", "packages", "listed", "below"] * 8)
    query = parse_instruction(f"Rewrite fails on a number\n{body}")
    weights = {t.display.lower(): t.weight for t in query.terms}
    assert weights["rewrite"] > weights["collector"]
    short = parse_instruction("Rewrite fails on a number\nthe collector")  # a short note is no body
    assert {t.display.lower(): t.weight for t in short.terms}["rewrite"] == \
        {t.display.lower(): t.weight for t in short.terms}["collector"]


def test_only_an_issues_title_says_whether_it_is_about_tests():
    body = " ".join(["the", "collector", "installs", "packages", "listed", "below"] * 8)
    assert not parse_instruction(f"Rewrite fails on a number\n{body}\nTested on 1.8 with pytest 7").about_tests
    assert parse_instruction(f"Add a test for the number rewrite\n{body}").about_tests
    assert parse_instruction("Rewrite fails on a number; tested with pytest").about_tests  # no body: all of it counts


def test_an_issue_is_about_tests_only_when_its_title_asks_for_work_on_them():
    body = " ".join(["the", "collector", "installs", "packages", "listed", "below"] * 8)
    for title in ("Wrong path to test file when directory changed in fixture",
                  "Dynamically adding xfail marker in test no longer ignores failure",
                  "Display fixture scope with `pytest --fixtures`",
                  "admin_views.test_multidb fails with persistent test SQLite database."):
        assert not parse_instruction(f"{title}\n{body}").about_tests, title  # what the reporter ran
    for title in ("Add a test for the number rewrite", "Tests fail on Python 3.12", "Flaky test in test_http",
                  "Missing unit tests for parse", "Improve test coverage of the parser",
                  "The test suite is broken on Windows"):
        assert parse_instruction(f"{title}\n{body}").about_tests, title
    # A commit subject or a short instruction: any test word still counts.
    assert parse_instruction("Show the fixture scope in --fixtures").about_tests


def test_names_that_differ_only_in_a_number_are_one_idea():
    query = parse_instruction("cse() has strange behaviour for MatrixSymbol indexing\n"
                              "x0 = a[0, 0]\nx1 = a[0, 1]\nx2 = a[1, 0]\nx3 = a[1, 1]\nx4 = b[0, 0]")
    numbered = [t for t in query.terms if t.display in ("x0", "x1", "x2", "x3", "x4")]
    assert len(numbered) == 5 and len({t.group for t in numbered}) == 1
    assert all(t.weight <= 0.3 for t in numbered)
    assert not any(p in ("x0", "x1") for p in query.patterns[:2])
    assert next(t for t in query.terms if t.display == "MatrixSymbol").weight >= 1.0
    pair = parse_instruction("convert int8 and utf8 values")  # two names are no run
    assert all(t.kind != "numbered" for t in pair.terms)


def test_a_name_written_as_a_call_is_code_wherever_the_text_uses_it():
    query = parse_instruction("Wrong Derivative kind attribute\nd = Derivative(A, x) gives the wrong kind\n"
                              "the option(s) listed and the value(es) shown")
    by_display = {t.display: t for t in query.terms}
    assert by_display["Derivative"].kind == "identifier" and by_display["Derivative"].weight >= 1.0
    assert by_display["option"].kind == "word"  # "option(s)" is prose, not a call
    assert by_display["value"].kind == "word"
    assert parse_instruction("the derivative is wrong").terms[0].kind == "word"  # never called: a word


def test_an_installed_librarys_file_is_the_repositorys_only_as_its_installed_copy():
    from surgeon.locate.mentions import resolve_mention

    frame = "/srv/venv/lib/python3.11/site-packages/requests/models.py"
    assert resolve_mention(frame, {"models.py": ["models.py", "app/models.py"]}) == []
    assert resolve_mention(frame, {"models.py": ["models.py", "src/requests/models.py"]}) == ["src/requests/models.py"]
    assert resolve_mention("/srv/venv/lib/python3.11/site-packages/six.py", {"six.py": ["six.py"]}) == []
