"""The names guard on JavaScript and TypeScript diffs: relative imports resolve to files, packages
to node_modules or package.json, named imports to the module's exports."""

from __future__ import annotations

from pathlib import Path

from surgeon.validate.names import NamesReport
from tests.helpers import make_repo
from tests.validate.test_names_python import judge

UTIL = '''export function slugify(s) { return s; }
export const VERSION = 1, NAME = "u";
export { slugify as slug };
export default function main() {}
'''
CJS = '''function a() {}
module.exports = { a, b: 2 };
'''
INDEX = '''import main from './lib/util';

main();
'''


def repo_with(tmp_path: Path, extra: dict[str, str] | None = None) -> Path:
    return make_repo(tmp_path / "web", {
        "package.json": '{\n  "name": "web",\n  "dependencies": {\n    "lodash": "^4.0.0"\n  }\n}\n',
        "node_modules/left-pad/package.json": '{"name": "left-pad"}\n',
        "src/lib/util.js": UTIL, "src/lib/cjs.js": CJS, "src/lib/types.ts": "export interface Shape { x: number }\n",
        "src/index.js": INDEX, **(extra or {})})


def index_diff(*added: str) -> str:
    lines = INDEX.splitlines()
    body = [f" {lines[0]}", *(f"+{a}" for a in added), *(f" {line}" for line in lines[1:])]
    return f"--- a/src/index.js\n+++ b/src/index.js\n@@ -1,3 +1,{3 + len(added)} @@\n" + "\n".join(body) + "\n"


def reasons(report: NamesReport) -> list[str]:
    return [r.reason for r in report.refusals]


def test_imports_that_exist_pass(tmp_path):
    repo = repo_with(tmp_path)
    report = judge(repo, index_diff("import { slugify, slug, VERSION } from './lib/util.js';", "import _ from 'lodash';",
                                    "import pad from 'left-pad';", "import fs from 'node:fs';", "import path from 'path';",
                                    "const { a, b } = require('./lib/cjs');", "import { Shape } from './lib/types';",
                                    "import sub from 'lodash/fp';"))
    assert report.refusals == ()
    assert report.checked >= 10


def test_a_named_import_the_module_does_not_export_is_refused(tmp_path):
    repo = repo_with(tmp_path)
    report = judge(repo, index_diff("import { slugify, slugifyAll } from './lib/util';", "const { c } = require('./lib/cjs');"))
    assert reasons(report) == [
        "`./lib/util` (src/lib/util.js) exports no `slugifyAll`; it exports `slugify`, `slug`, `NAME`, `VERSION`. "
        "Import a name it exports, or add the export in the same diff",
        "`./lib/cjs` (src/lib/cjs.js) exports no `c`; it exports `a`, `b`. Import a name it exports, or add the export "
        "in the same diff"]


def test_a_relative_import_of_no_file_is_refused_with_near_names(tmp_path):
    repo = repo_with(tmp_path)
    report = judge(repo, index_diff("import { x } from './lib/utils';"))
    assert len(report.refusals) == 1
    assert report.refusals[0].line == 2
    assert report.refusals[0].reason.startswith("`./lib/utils` does not resolve to a file")
    assert "Near names in src/lib/: `util`" in report.refusals[0].reason


def test_a_package_nobody_installed_or_declared_is_refused(tmp_path):
    repo = repo_with(tmp_path)
    report = judge(repo, index_diff("import leftPad from 'left-padder';", "import x from '@acme/made-up/sub';"))
    assert [r.split(":")[0] for r in reasons(report)] == ["`left-padder`", "`@acme/made-up/sub`"]
    assert "the package `@acme/made-up` is not installed" in reasons(report)[1]


def test_path_aliases_and_star_reexports_are_skipped(tmp_path):
    repo = repo_with(tmp_path, {"tsconfig.json": '{"compilerOptions": {"paths": {"@app/*": ["src/*"]}}}\n',
                                "src/lib/all.js": "export * from './util';\n"})
    report = judge(repo, index_diff("import { anything } from './lib/all';", "import y from 'app-alias/thing';"))
    assert report.refusals == ()
    assert report.skipped == 2


def test_a_file_the_same_diff_creates_resolves(tmp_path):
    repo = repo_with(tmp_path)
    diff = ("--- /dev/null\n+++ b/src/lib/fresh.ts\n@@ -0,0 +1 @@\n+export const fresh = 1;\n"
            + index_diff("import { fresh } from './lib/fresh';"))
    assert judge(repo, diff).refusals == ()
