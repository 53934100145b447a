#!/usr/bin/env bash
# The hook users get from the pre-commit framework: pre-commit installs surgeon from source with
# `language: python`, following THIS checkout's .pre-commit-hooks.yaml, then runs it.
#
# Usage: tests/cli/precommit_framework_check.sh [SURGEON_CHECKOUT]
#   SURGEON_CHECKOUT  a surgeon working tree (default: the one holding this script). Its current files
#                     (committed or not, untracked included, git-ignored ones left out) are committed
#                     into a temporary repository, which the check uses as the hook repository.
# Environment: PRE_COMMIT  the pre-commit command (default: pre-commit on PATH; 3.2.0 or later)
#              KEEP=1      keep the temporary folder and print where it is.
# Needs network access to PyPI (pre-commit pip-installs surgeon and its dependencies); takes minutes.
# Exit code 0 when every check passes, 1 otherwise (with the output of the failed step).
set -euo pipefail
checkout=$(cd "${1:-$(dirname "$0")/../..}" && pwd)
pre_commit=${PRE_COMMIT:-pre-commit}
command -v "$pre_commit" >/dev/null || { echo "precommit-check: $pre_commit: not found (set PRE_COMMIT)" >&2; exit 1; }
work=$(mktemp -d)
if [ "${KEEP:-}" = 1 ]; then echo "precommit-check: keeping $work"; else trap 'rm -rf "$work"' EXIT; fi

export HOME=$work/home PRE_COMMIT_HOME=$work/pre-commit-home PIP_CACHE_DIR=$work/pip-cache NO_COLOR=1
export GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=ci GIT_AUTHOR_EMAIL=ci@surgeon.invalid
export GIT_COMMITTER_NAME=ci GIT_COMMITTER_EMAIL=ci@surgeon.invalid
unset PRE_COMMIT_FROM_REF PRE_COMMIT_TO_REF SURGEON_SKIP GIT_DIR GIT_INDEX_FILE GIT_WORK_TREE
mkdir -p "$HOME"
akia=AKIA  # the keys below are spelt in two parts, so no scanner takes this script for a leak

# 1. The checkout's current state as one commit of a hook repository.
hooks=$work/surgeon
mkdir "$hooks"
(cd "$checkout" && git ls-files -z -co --exclude-standard | while IFS= read -r -d '' f; do
   if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi
 done | tar --null -T - -cf -) | tar -xf - -C "$hooks"
git -C "$hooks" init -q -b main
git -C "$hooks" add -A
git -C "$hooks" commit -q -m "surgeon as checked out in $checkout"
rev=$(git -C "$hooks" rev-parse HEAD)
echo "precommit-check: hook repository $hooks at $rev ($("$pre_commit" --version))"

expect() {  # expect CODE DESCRIPTION COMMAND...: run it, check the exit code, keep its output
  local want=$1 what=$2; shift 2
  local started=$SECONDS
  set +e; "$@" >"$work/out" 2>&1; local got=$?; set -e
  if [ "$got" != "$want" ] || grep -q "Traceback" "$work/out"; then
    echo "precommit-check: $what: exit $got (expected $want)" >&2; cat "$work/out" >&2; exit 1
  fi
  echo "precommit-check: $what: exit $got as expected ($((SECONDS - started)) s)"
}
names() {  # names TEXT...: each must be in the last output
  for text in "$@"; do
    grep -qF -- "$text" "$work/out" || { echo "precommit-check: '$text' not in the output:" >&2; cat "$work/out" >&2; exit 1; }
  done
}

# 2. A project that uses the hook, with an AWS key committed before the hook was added.
project=$work/project
mkdir "$project" && cd "$project" && git init -q -b main
mkdir app
printf 'AWS_ACCESS_KEY_ID = "%s"\nTIMEOUT = 10\n' "${akia}4HK2LMPQ7ZTXW3RB" > app/settings.py
printf 'x = 1\n' > app/clean.py
cat > .pre-commit-config.yaml <<EOF
repos:
  - repo: $hooks
    rev: $rev
    hooks:
      - id: surgeon-review
EOF
git add -A && git commit -q -m "a key committed long ago"
first=$(git rev-parse HEAD)

expect 0 "pre-commit install-hooks (pip installs surgeon from source)" "$pre_commit" install-hooks
expect 0 "pre-commit run (nothing staged)" "$pre_commit" run --color never
expect 1 "pre-commit run --all-files (the old key)" "$pre_commit" run --all-files --color never
names app/settings.py secret.aws

printf 'x = 1\nTOKEN = "%s"\n' "${akia}Q7NE4XRZ2KM5TB3W" > app/clean.py
printf 'AWS_ACCESS_KEY_ID = "%s"\nTIMEOUT = 15\n' "${akia}4HK2LMPQ7ZTXW3RB" > app/settings.py
git commit -q -am "a new key, and another line beside the old one"
second=$(git rev-parse HEAD)
expect 1 "pre-commit run --from-ref --to-ref (a new key in the range)" \
  "$pre_commit" run --from-ref "$first" --to-ref "$second" --color never
names app/clean.py secret.aws
if grep -qF app/settings.py "$work/out"; then
  echo "precommit-check: the old key in app/settings.py was judged in the range:" >&2; cat "$work/out" >&2; exit 1
fi

expect 0 "pre-commit install" "$pre_commit" install
printf 'y = 2\n' > app/more.py && git add app/more.py
expect 0 "git commit (a clean change)" git commit -q -m clean
printf 'z = "%s"\n' "${akia}UJZDE8GXD6NCF10E" > app/more.py && git add app/more.py
expect 1 "git commit (a new key)" git commit -q -m key
names app/more.py secret.aws
git reset -q --hard  # drop the blocked change

# 3. try-repo: pre-commit's own way to try a hook repository (a second install, from the pip cache).
expect 1 "pre-commit try-repo --all-files" "$pre_commit" try-repo "$hooks" surgeon-review --all-files --color never
names app/settings.py secret.aws
echo "precommit-check: ok"
