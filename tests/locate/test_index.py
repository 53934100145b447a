"""The tree-sitter symbol index: definitions with their enclosing scope, comments, statements."""

import os
import re

import pytest
from tree_sitter import Query

from surgeon.languages import grammar
from surgeon.locate.definitions import DEFINITION_KINDS, PATTERNS
from surgeon.locate.index import FileRecord, index_bytes


def defs(source: str, language: str) -> dict[str, tuple[str, int, int]]:
    record = index_bytes(source.encode(), language)
    return {d.qualname: (d.kind, d.start, d.end) for d in record.definitions}


@pytest.mark.parametrize("language", sorted(PATTERNS))
def test_every_pattern_compiles_with_the_installed_grammar(language):
    for pattern in PATTERNS[language]:
        Query(grammar(language), pattern)


@pytest.mark.parametrize("language", sorted(PATTERNS))
def test_every_captured_definition_kind_is_a_known_kind(language):
    """The index keeps only definitions of a DefinitionKind: a pattern capturing another kind
    would be dropped silently, so none may."""
    for pattern in PATTERNS[language]:
        for kind in re.findall(r"@definition\.(\w+)", pattern):
            assert kind in DEFINITION_KINDS, (language, pattern)


def test_python_classes_methods_decorators_and_module_constants():
    source = '''"""Module doc."""
import os

LIMIT = 10

class Store:
    """Doc."""
    size = 3

    @property
    def count(self):
        # a comment
        local = 1
        return local

def helper():
    pass
'''
    found = defs(source, "python")
    assert found["LIMIT"] == ("variable", 4, 4)
    assert found["Store"] == ("class", 6, 14)
    assert found["Store.size"] == ("field", 8, 8)
    assert found["Store.count"] == ("method", 10, 14)  # the decorator line is part of it
    assert found["helper"] == ("function", 16, 17)
    assert "Store.count.local" not in found and "local" not in found
    record = index_bytes(source.encode(), "python")
    assert (1, 1) in record.comments and (7, 7) in record.comments and (12, 12) in record.comments


def test_javascript_and_typescript():
    js = "const API = '/x';\nfunction track(a) {\n  const local = 1;\n}\nclass Queue {\n  push(x) { return x; }\n}\nconst f = () => 1;\n"
    found = defs(js, "javascript")
    assert found["API"][0] == "variable" and found["track"] == ("function", 2, 4)
    assert found["Queue.push"] == ("method", 6, 6) and found["f"][0] == "function"
    assert "track.local" not in found
    ts = "export interface Opts { a: number }\nexport type Id = string;\nexport enum Color { Red }\nexport class A { run(): void {} }\n"
    found = defs(ts, "typescript")
    assert found["Opts"][0] == "interface" and found["Id"][0] == "type" and found["Color"][0] == "enum"
    assert found["A.run"][0] == "method"
    assert defs("export function App() { return <div/>; }\n", "tsx")["App"][0] == "function"


def test_go_rust_java():
    go = "package main\n\nconst Max = 3\n\ntype Server struct {\n\tPort int\n}\n\nfunc (s *Server) Handle() error {\n\treturn nil\n}\n"
    found = defs(go, "go")
    assert found["Max"][0] == "constant" and found["Server"] == ("struct", 5, 7)
    assert found["Server.Handle"] == ("method", 9, 11)
    rust = "pub struct Conf { port: u16 }\nimpl Conf {\n    pub fn new() -> Self { Conf { port: 1 } }\n}\nconst LIMIT: usize = 4;\n"
    found = defs(rust, "rust")
    assert found["Conf.new"][0] == "method" and found["LIMIT"][0] == "constant"
    conf = {d.kind for d in index_bytes(rust.encode(), "rust").definitions if d.qualname == "Conf"}
    assert conf == {"struct", "impl"}
    java = "class Billing {\n  private int total;\n  void charge(int x) {\n    total += x;\n  }\n}\n"
    found = defs(java, "java")
    assert found["Billing.charge"] == ("method", 3, 5) and found["Billing.total"][0] == "field"


def test_c_cpp_bash():
    c = "#define MAX 4\nstruct point { int x; };\nstatic int *make(void) {\n  return 0;\n}\n"
    found = defs(c, "c")
    assert found["MAX"][0] == "macro" and found["point"][0] == "struct" and found["make"][0] == "function"
    cpp = "namespace app {\nclass Widget {\n public:\n  void draw();\n};\nvoid Widget::draw() {}\n}\n"
    found = defs(cpp, "cpp")
    assert found["app"][0] == "namespace" and found["app.Widget"][0] == "class"
    bash = "PORT=8080\ndeploy() {\n  echo hi\n}\n"
    found = defs(bash, "bash")
    assert found["PORT"][0] == "variable" and found["deploy"] == ("function", 2, 4)


def test_yaml_json_toml_keys_are_nested():
    yaml = "services:\n  web:\n    image: nginx\n    ports:\n      - 80\n"
    found = defs(yaml, "yaml")
    assert found["services.web.image"] == ("key", 3, 3)
    assert found["services.web"][1:] == (2, 5)
    found = defs('{"scripts": {"build": "tsc"}}', "json")
    assert '"scripts"' not in found and "scripts.build" in found
    found = defs("[tool.pytest]\naddopts = '-q'\n", "toml")
    assert found["tool.pytest"][0] == "table" and found["tool.pytest.addopts"][0] == "key"


def test_a_broken_file_keeps_what_tree_sitter_recovers():
    source = "def good():\n    return 1\n\ndef broken(:\n    pass\n\nclass Later:\n    pass\n"
    record = index_bytes(source.encode(), "python")
    assert record.parse_errors
    names = {d.name for d in record.definitions}
    assert {"good", "Later"} <= names


def test_non_utf8_binary_and_generated_content():
    latin = "def caf\xe9():\n    return '\xe9'\n".encode("latin-1")
    record = index_bytes(latin, "python")
    assert record.skip is None and record.lines == 2
    assert index_bytes(b"\x89PNG\r\n\x1a\n\0\0\0", None).skip == "binary"
    assert index_bytes(b"// Code generated by protoc-gen-go. DO NOT EDIT.\npackage x\n", "go").skip == "generated"


def test_records_round_trip_through_json():
    record = index_bytes(b"class A:\n    def f(self):\n        pass\n# c\n", "python")
    assert FileRecord.from_json(record.to_json()) == record


def test_text_without_a_reader_is_still_indexed_for_grep():
    record = index_bytes(b"# Title\n\nSome prose.\n", None)
    assert record.skip is None and record.lines == 3 and record.definitions == ()


def test_a_definition_starts_at_the_doc_comment_above_it_but_not_at_a_docstring():
    go = "package s\n\n// Put stores a value.\n// It locks.\nfunc Put() {}\n"
    assert defs(go, "go")["Put"] == ("function", 3, 5)
    python = 'class A:\n    """Doc."""\n    size = 3\n'
    assert defs(python, "python")["A.size"] == ("field", 3, 3)


def test_workers_are_spawned_not_forked_while_another_thread_runs(tmp_path, monkeypatch):
    # an edit imports the model SDK in a thread while locate indexes: a worker forked then held
    # that thread's import lock for ever, and the edit hung
    import threading

    from surgeon.locate import index as index_module

    for i in range(100):
        (tmp_path / f"m{i}.py").write_text(f"def helper_{i}():\n    return {i}\n")
    items = [(f"m{i}.py", "python") for i in range(100)]
    started: list[str] = []
    real_pool = index_module.ProcessPoolExecutor

    def spying_pool(*args, **kwargs):
        started.append(kwargs["mp_context"].get_start_method())
        return real_pool(*args, **kwargs)

    monkeypatch.setattr(index_module, "ProcessPoolExecutor", spying_pool)
    release = threading.Event()
    other = threading.Thread(target=release.wait, daemon=True)
    other.start()
    try:
        found = {path: record for path, record, _ in index_module.index_files(tmp_path, items, workers=2)}
    finally:
        release.set()
        other.join()
    assert started == ["spawn"]
    assert found["m7.py"].definitions[0].name == "helper_7" and len(found) == 100
    if threading.active_count() == 1 and hasattr(os, "fork"):  # (other tests may leave threads in this process)
        assert len(list(index_module.index_files(tmp_path, items, workers=2))) == 100 and started[-1] == "fork"
