"""`surgeon locate` through the real CLI, on the example analytics stack."""

import json
import re

from tests.helpers import make_repo, run_surgeon


def locate_json(repo, *args):
    run = run_surgeon("locate", "--json", *args, cwd=repo)
    assert run.code == 0, run.stderr
    return json.loads(run.stdout)


def covers(regions, path, line):
    return any(r["path"] == path and r["start_line"] <= line <= r["end_line"] for r in regions)


def test_json_shape_is_exactly_the_contract(example_repo):
    payload = locate_json(example_repo, "update the CSP to allow https://s.ado.im")
    assert list(payload) == ["regions", "tokens", "files_indexed", "seconds", "skipped"]
    assert set(payload["skipped"]) == {"binary", "vendored", "generated", "huge"}
    region = payload["regions"][0]
    assert list(region) == ["path", "start_line", "end_line", "symbol", "kind", "score", "why"]
    scores = [r["score"] for r in payload["regions"]]
    assert scores == sorted(scores, reverse=True)
    assert payload["files_indexed"] == 15


def test_csp_instruction_finds_the_nginx_header_and_the_fastapi_cors_settings(example_repo):
    regions = locate_json(example_repo, "update the CSP to allow https://s.ado.im")["regions"]
    top = regions[:4]
    assert covers(top, "deploy/nginx/site.conf", 39)  # add_header Content-Security-Policy
    assert covers(top, "ingest/settings.py", 5) or covers(top, "ingest/app.py", 15)  # ALLOWED_ORIGINS / CORSMiddleware
    assert covers(regions, "ingest/app.py", 15)


def test_collect_endpoint_instruction_finds_routes_and_nginx_locations(example_repo):
    regions = locate_json(example_repo, "add a /collect endpoint with strict method and size limits")["regions"]
    assert covers(regions, "ingest/app.py", 37)  # @app.post("/api/events") route
    assert covers(regions[:3], "deploy/nginx/site.conf", 53)  # location /api/ with limit_except
    assert covers(regions, "deploy/nginx/site.conf", 31)  # client_max_body_size


def test_pasted_stack_trace_puts_the_failing_function_first(example_repo, tmp_path):
    trace = tmp_path / "trace.txt"
    trace.write_text(
        "Traceback (most recent call last):\n"
        '  File "/srv/analytics-stack/ingest/app.py", line 41, in ingest_events\n'
        "    batch = EventBatch.model_validate_json(body)\n"
        '  File "/srv/analytics-stack/.venv/lib/python3.11/site-packages/pydantic/main.py", line 625, in model_validate_json\n'
        "    return cls.__pydantic_validator__.validate_json(json_data)\n"
        '  File "/srv/analytics-stack/ingest/models.py", line 27, in must_be_http\n'
        '    raise ValueError("must be an http(s) URL")\n'
        "ValueError: must be an http(s) URL\n"
    )
    regions = locate_json(example_repo, "--instruction-file", str(trace))["regions"]
    assert covers(regions[:1], "ingest/models.py", 27)
    assert covers(regions[:2], "ingest/app.py", 41)
    assert any(w.startswith("stack frame: line 27") for w in regions[0]["why"])


def test_an_instruction_naming_nothing_returns_little_and_weak(example_repo):
    payload = locate_json(example_repo, "make the dashboard purple with confetti animations")
    assert len(payload["regions"]) <= 3
    assert all(r["score"] < 1.0 for r in payload["regions"])
    text = run_surgeon("locate", "make the dashboard purple with confetti animations", cwd=example_repo)
    assert text.code == 0 and "Nothing in the repository matches" in text.stdout


def test_budget_is_respected_and_defaults_to_config(example_repo):
    small = locate_json(example_repo, "--budget", "150", "add a /collect endpoint with strict method and size limits")
    assert 0 < small["tokens"] <= 150
    (example_repo / ".surgeon.toml").write_text("budget = 200\n")
    configured = locate_json(example_repo, "add a /collect endpoint with strict method and size limits")
    assert configured["tokens"] <= 200


def test_human_output_lists_ranked_regions(example_repo):
    run = run_surgeon("locate", "update the CSP to allow https://s.ado.im", cwd=example_repo)
    assert run.code == 0
    first = re.match(r" 1\. deploy/nginx/site\.conf:(\d+)-(\d+) ", run.stdout)
    assert first and int(first[1]) <= 39 <= int(first[2]), run.stdout  # the add_header CSP line
    assert "tokens" in run.stdout.splitlines()[-1]


def test_bad_input_gets_a_clear_error_and_exit_2(example_repo, tmp_path):
    empty = run_surgeon("locate", "  ", cwd=example_repo)
    assert empty.code == 2 and "instruction is empty" in empty.stderr and "Traceback" not in empty.stderr
    missing = run_surgeon("locate", "--instruction-file", str(tmp_path / "nope.txt"), cwd=example_repo)
    assert missing.code == 2 and "no such file" in missing.stderr
    both = run_surgeon("locate", "x", "--instruction-file", str(tmp_path / "nope.txt"), cwd=example_repo)
    assert both.code == 2
    budget = run_surgeon("locate", "--budget", "0", "csp", cwd=example_repo)
    assert budget.code == 2 and "budget" in budget.stderr
    outside = run_surgeon("locate", "csp", "--repo", str(tmp_path), cwd=tmp_path)
    assert outside.code == 2 and "not inside a git repository" in outside.stderr


def test_repo_with_nothing_readable_says_so(tmp_path):
    repo = make_repo(tmp_path / "images", {"logo.png": b"\x89PNG\r\n\x1a\n\0\0"})
    run = run_surgeon("locate", "logo", cwd=repo)
    assert run.code == 0 and "No files surgeon can read" in run.stdout and "1 binary" in run.stdout


def test_locate_leaves_working_tree_index_and_branch_untouched(example_repo):
    from tests.helpers import repo_state

    (example_repo / "ingest/settings.py").write_text("ALLOWED_ORIGINS = []\n")  # an uncommitted edit
    before = repo_state(example_repo)
    assert run_surgeon("locate", "ALLOWED_ORIGINS", cwd=example_repo).code == 0
    assert repo_state(example_repo) == before


def test_locate_finds_regions_for_an_instruction_that_starts_with_error(tmp_path):
    repo = make_repo(tmp_path / "repo", {
        "data/merge.py": "def concat(dataset, dataarray):\n    return dataset.merge(dataarray)\n",
        "README.md": "# data tools\n",
    })
    proc = run_surgeon("locate", "--json", "Error concat dataset and dataarray", cwd=repo)
    assert proc.code == 0, proc.stderr
    assert [r["path"] for r in json.loads(proc.stdout)["regions"]][:1] == ["data/merge.py"]
