"""How often `locate` returns every line an instruction is about, at two budgets.

    .venv/bin/python tests/bench/bench_locate_quality.py [-v]

A small labelled set: instructions on the example analytics stack and on four small synthetic
repositories (Go, JavaScript, Rust, YAML) written below. Each case names its target lines by a
piece of their text; a case passes at a budget when every target line lies inside one of the
returned regions. Prints the fraction that pass at 2,000 and 8,000 tokens.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from surgeon.locate import locate  # noqa: E402
from tests.helpers import copy_example, make_repo  # noqa: E402

GO = {
    "go.mod": "module example.com/app\n\ngo 1.22\n",
    "cmd/server/main.go": """package main

import (
\t"log"
\t"net/http"

\t"example.com/app/internal/config"
\t"example.com/app/internal/store"
)

func main() {
\tcfg, err := config.Load()
\tif err != nil {
\t\tlog.Fatal(err)
\t}
\ts := store.New()
\tmux := http.NewServeMux()
\tmux.HandleFunc("/items", func(w http.ResponseWriter, r *http.Request) {
\t\tw.Write([]byte(s.Get(r.URL.Query().Get("key"))))
\t})
\tlog.Fatal(http.ListenAndServe(cfg.Addr(), mux))
}
""",
    "internal/config/config.go": """package config

import (
\t"fmt"
\t"os"
\t"strconv"
\t"time"
)

// Config holds the server settings.
type Config struct {
\tPort        int
\tReadTimeout time.Duration
}

// Load reads the configuration from the environment.
func Load() (*Config, error) {
\tport, err := strconv.Atoi(os.Getenv("PORT"))
\tif err != nil {
\t\treturn nil, fmt.Errorf("bad port: %w", err)
\t}
\treturn &Config{Port: port, ReadTimeout: 5 * time.Second}, nil
}

// Addr is the listen address.
func (c *Config) Addr() string {
\treturn fmt.Sprintf(":%d", c.Port)
}
""",
    "internal/store/store.go": """package store

import "sync"

// MaxItems is the most items a store keeps.
const MaxItems = 1000

// Store is an in-memory key-value store safe for concurrent use.
type Store struct {
\tmu    sync.Mutex
\titems map[string]string
}

// New returns an empty store.
func New() *Store {
\treturn &Store{items: map[string]string{}}
}

// Put stores a value.
func (s *Store) Put(key, value string) {
\ts.mu.Lock()
\tdefer s.mu.Unlock()
\ts.items[key] = value
}

// Get returns a value or "".
func (s *Store) Get(key string) string {
\ts.mu.Lock()
\tdefer s.mu.Unlock()
\tv := s.items[key]
\treturn v
}
""",
    "internal/auth/token.go": """package auth

import (
\t"errors"
\t"strings"
\t"time"
)

// ErrExpired is returned for a token past its expiry.
var ErrExpired = errors.New("token expired")

// ValidateToken checks a bearer token of the form "v1.<unix expiry>".
func ValidateToken(token string, now time.Time) error {
\tif !strings.HasPrefix(token, "v1.") {
\t\treturn errors.New("unknown token version")
\t}
\treturn nil
}
""",
}

JS = {
    "package.json": '{\n  "name": "shop",\n  "main": "src/server.js",\n  "dependencies": {"express": "^4.19.0"}\n}\n',
    "src/server.js": """const express = require("express");
const { UserRepo } = require("./db");
const { formatCurrency } = require("./utils/format");

const app = express();
const users = new UserRepo();
app.use(express.json());

app.get("/users/:id", async (req, res) => {
  res.json(await users.findById(req.params.id));
});

app.post("/users", async (req, res) => {
  const user = await users.create(req.body.profile);
  res.status(201).json(user);
});

app.post("/login", async (req, res) => {
  const ok = await users.checkPassword(req.body.email, req.body.password);
  res.status(ok ? 200 : 401).end();
});

app.get("/price/:cents", (req, res) => {
  res.send(formatCurrency(Number(req.params.cents) / 100));
});

module.exports = app;
""",
    "src/db.js": """class NotFoundError extends Error {}

class UserRepo {
  constructor() {
    this.rows = new Map();
  }

  async findById(id) {
    return this.rows.get(id);
  }

  async checkPassword(email, password) {
    const user = [...this.rows.values()].find((u) => u.email === email);
    return Boolean(user && user.password === password);
  }

  async create(profile) {
    const id = String(this.rows.size + 1);
    const user = { id, email: profile.email, password: profile.password };
    this.rows.set(id, user);
    return user;
  }
}

module.exports = { UserRepo, NotFoundError };
""",
    "src/utils/format.js": """/** Money and dates for display. */

function formatCurrency(amount, currency = "USD", locale = "en-US") {
  return new Intl.NumberFormat(locale, { style: "currency", currency }).format(amount);
}

function formatDate(date, locale = "en-US") {
  return new Intl.DateTimeFormat(locale).format(date);
}

module.exports = { formatCurrency, formatDate };
""",
}

RUST = {
    "Cargo.toml": '[package]\nname = "calc"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\n',
    "src/main.rs": """mod error;
mod parser;

use parser::Parser;

fn main() {
    let input = std::env::args().nth(1).unwrap_or_default();
    let mut parser = Parser::new(&input);
    match parser.parse_expr() {
        Ok(value) => println!("{value}"),
        Err(err) => eprintln!("error: {err}"),
    }
}
""",
    "src/error.rs": """use std::fmt;

#[derive(Debug, PartialEq)]
pub enum ParseError {
    UnexpectedChar(char),
    UnexpectedEof,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::UnexpectedChar(c) => write!(f, "unexpected character {c:?}"),
            ParseError::UnexpectedEof => write!(f, "unexpected end of input"),
        }
    }
}
""",
    "src/parser.rs": """use crate::error::ParseError;

#[derive(Debug, Clone, PartialEq)]
pub enum Token {
    Number(f64),
    Plus,
    Minus,
    Star,
    Slash,
}

pub struct Parser {
    chars: Vec<char>,
    pos: usize,
}

impl Parser {
    pub fn new(input: &str) -> Self {
        Parser { chars: input.chars().collect(), pos: 0 }
    }

    fn next_token(&mut self) -> Result<Option<Token>, ParseError> {
        while self.pos < self.chars.len() && self.chars[self.pos].is_whitespace() {
            self.pos += 1;
        }
        let Some(&c) = self.chars.get(self.pos) else { return Ok(None) };
        self.pos += 1;
        Ok(Some(match c {
            '+' => Token::Plus,
            '-' => Token::Minus,
            '*' => Token::Star,
            '/' => Token::Slash,
            d if d.is_ascii_digit() => Token::Number(d.to_digit(10).unwrap() as f64),
            other => return Err(ParseError::UnexpectedChar(other)),
        }))
    }

    pub fn parse_expr(&mut self) -> Result<f64, ParseError> {
        let first = self.next_token()?.unwrap();
        let mut value = match first {
            Token::Number(n) => n,
            _ => return Err(ParseError::UnexpectedChar('?')),
        };
        while let Some(op) = self.next_token()? {
            let Token::Number(rhs) = self.next_token()?.unwrap() else { break };
            value = match op {
                Token::Plus => value + rhs,
                Token::Minus => value - rhs,
                Token::Star => value * rhs,
                Token::Slash => value / rhs,
                Token::Number(_) => value,
            };
        }
        Ok(value)
    }
}
""",
}

YAML = {
    "docker-compose.yml": """services:
  web:
    build: .
    ports:
      - "80:8000"
    environment:
      DATABASE_URL: postgres://app:app@db:5432/app
    depends_on:
      - db
  db:
    image: postgres:15
    volumes:
      - pgdata:/var/lib/postgresql/data

volumes:
  pgdata:
""",
    ".github/workflows/ci.yml": """name: ci
on: [push, pull_request]
jobs:
  test:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        python-version: ["3.11"]
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: ${{ matrix.python-version }}
      - run: pip install -e '.[dev]'
      - run: pytest -q
""",
    "k8s/deployment.yaml": """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: registry.example.com/web:1.4.2
          resources:
            limits:
              memory: 256Mi
              cpu: 500m
          livenessProbe:
            httpGet:
              path: /healthz
              port: 8000
""",
    "README.md": "# deploy\n\nCompose for local work, Kubernetes for production.\n",
}


@dataclass(frozen=True)
class Case:
    repo: str
    instruction: str
    targets: tuple[tuple[str, str], ...]  # (path, a piece of the target line's text)


CASES = [
    Case("example", "update the CSP to allow https://s.ado.im",
         (("deploy/nginx/site.conf", "Content-Security-Policy"), ("ingest/settings.py", "ALLOWED_ORIGINS ="))),
    Case("example", "add a /collect endpoint with strict method and size limits",
         (("ingest/app.py", '@app.post("/api/events"'), ("deploy/nginx/site.conf", "location /api/"))),
    Case("example",
         'Traceback (most recent call last):\n  File "/srv/analytics-stack/ingest/app.py", line 41, in ingest_events\n'
         "    batch = EventBatch.model_validate_json(body)\n"
         '  File "/srv/analytics-stack/ingest/models.py", line 27, in must_be_http\n'
         '    raise ValueError("must be an http(s) URL")\nValueError: must be an http(s) URL\n',
         (("ingest/models.py", 'raise ValueError("must be an http(s) URL")'), ("ingest/app.py", "model_validate_json"))),
    Case("example", "raise the nginx client body size limit to 128k and keep the app in sync",
         (("deploy/nginx/site.conf", "client_max_body_size"), ("ingest/settings.py", "MAX_BODY_BYTES ="))),
    Case("example", "allow at most 100 events per batch", (("ingest/settings.py", "MAX_EVENTS_PER_BATCH ="),)),
    Case("example", "the browser client should flush every 10 seconds instead of 5",
         (("web/analytics.js", "FLUSH_INTERVAL_MS ="),)),
    Case("example", "only use navigator.sendBeacon when the page becomes hidden",
         (("web/analytics.js", "navigator.sendBeacon(ENDPOINT"), ("web/analytics.js", 'visibilityState === "hidden"'))),
    Case("example", "keep the session id in localStorage instead of sessionStorage",
         (("web/analytics.js", "window.sessionStorage.getItem"), ("web/analytics.js", "window.sessionStorage.setItem"))),
    Case("example", "systemd should always restart the ingest service, not only on failure",
         (("deploy/systemd/analytics-ingest.service", "Restart=on-failure"),)),
    Case("example", "the 413 error should tell the client the limit in bytes",
         (("ingest/app.py", "raise HTTPException(status_code=413"),)),
    Case("example", "make the EventStore capacity configurable", (("ingest/storage.py", "def __init__(self, capacity"),)),
    Case("example", "reject events whose title is longer than 100 characters",
         (("ingest/models.py", "title: str | None"),)),
    Case("example", "the smoke test should fail if /healthz takes more than 2 seconds",
         (("scripts/smoke_test.sh", 'curl --fail --silent --show-error --max-time 5 "${BASE_URL}/healthz"'),)),
    Case("example", "stop advertising HTTP/3 with the Alt-Svc header", (("deploy/nginx/site.conf", "add_header Alt-Svc"),)),
    Case("example", "proxy read and send timeouts to the upstream should be 5s",
         (("deploy/nginx/site.conf", "proxy_read_timeout"), ("deploy/nginx/site.conf", "proxy_send_timeout"))),
    Case("go", "ValidateToken should return ErrExpired when the token has expired",
         (("internal/auth/token.go", "func ValidateToken"), ("internal/auth/token.go", "return nil"))),
    Case("go", "read the port from APP_PORT and default to 8080 when it is unset",
         (("internal/config/config.go", 'os.Getenv("PORT")'),)),
    Case("go", "Store.Put must refuse new keys once MaxItems is reached",
         (("internal/store/store.go", "func (s *Store) Put"), ("internal/store/store.go", "s.items[key] = value"))),
    Case("go", "panic: assignment to entry in nil map\n\ngoroutine 1 [running]:\n"
         "example.com/app/internal/store.(*Store).Get(...)\n\t/home/dev/app/internal/store/store.go:31 +0x1d\n"
         "main.main()\n\t/home/dev/app/cmd/server/main.go:19 +0x45\n",
         (("internal/store/store.go", "v := s.items[key]"),)),
    Case("js", "formatCurrency should default to EUR", (("src/utils/format.js", "function formatCurrency"),)),
    Case("js", "add rate limiting to the POST /login route", (("src/server.js", 'app.post("/login"'),)),
    Case("js", "UserRepo.findById should throw NotFoundError when the user is missing",
         (("src/db.js", "async findById(id)"), ("src/db.js", "return this.rows.get(id)"))),
    Case("js", "TypeError: Cannot read properties of undefined (reading 'email')\n"
         "    at UserRepo.create (/app/src/db.js:19:36)\n    at /app/src/server.js:14:30\n",
         (("src/db.js", "const user = { id, email: profile.email"),)),
    Case("rust", "parse_expr should return UnexpectedEof instead of panicking at the end of input",
         (("src/parser.rs", "let first = self.next_token()?.unwrap();"), ("src/error.rs", "UnexpectedEof,"))),
    Case("rust", "add a Token::Percent variant for the modulo operator",
         (("src/parser.rs", "pub enum Token"), ("src/parser.rs", "'/' => Token::Slash"))),
    Case("rust", "thread 'main' panicked at src/parser.rs:43:56:\ncalled `Option::unwrap()` on a `None` value\n",
         (("src/parser.rs", "let Token::Number(rhs) = self.next_token()?.unwrap()"),)),
    Case("yaml", "bump the postgres image to 16", (("docker-compose.yml", "image: postgres:15"),)),
    Case("yaml", "run the CI tests on Python 3.12 too", ((".github/workflows/ci.yml", 'python-version: ["3.11"]'),)),
    Case("yaml", "raise the memory limit of the web deployment to 512Mi", (("k8s/deployment.yaml", "memory: 256Mi"),)),
    Case("yaml", "publish the web service on port 8080 instead of 80", (("docker-compose.yml", '- "80:8000"'),)),
    # Added afterwards, without looking at the results first (a check on over-fitting the above).
    Case("example", "validate that event names contain only letters, digits and underscores",
         (("ingest/models.py", "name: str | None"),)),
    Case("example", "log the number of accepted events per request",
         (("ingest/app.py", "return Accepted(accepted=store.add_many"),)),
    Case("example", "the JS client should retry a failed POST once", (("web/analytics.js", "fetch(ENDPOINT"),)),
    Case("go", "Config should also read READ_TIMEOUT from the environment",
         (("internal/config/config.go", "return &Config{Port: port"),)),
    Case("js", "format dates in the user's time zone", (("src/utils/format.js", "function formatDate"),)),
    Case("rust", "the error message for an unexpected character should include its position",
         (("src/error.rs", 'write!(f, "unexpected character'),)),
    Case("yaml", "add a readiness probe to the web container", (("k8s/deployment.yaml", "livenessProbe:"),)),
    Case("yaml", "cache pip downloads in CI", ((".github/workflows/ci.yml", "- run: pip install"),)),
]


def build_repos(base: Path) -> dict[str, Path]:
    return {
        "example": copy_example(base / "example"),
        "go": make_repo(base / "go", GO),
        "js": make_repo(base / "js", JS),
        "rust": make_repo(base / "rust", RUST),
        "yaml": make_repo(base / "yaml", YAML),
    }


def target_lines(repo: Path, case: Case) -> list[tuple[str, int]]:
    out = []
    for path, piece in case.targets:
        lines = (repo / path).read_text().splitlines()
        number = next((i for i, line in enumerate(lines, 1) if piece in line), None)
        if number is None:
            raise SystemExit(f"bad label: {piece!r} not in {path}")
        out.append((path, number))
    return out


def evaluate(repos: dict[str, Path], budget: int, verbose: bool) -> tuple[float, float]:
    """(fraction with every target inside the returned regions, fraction with every target inside
    the first three regions)."""
    passed = top3 = 0
    for case in CASES:
        repo = repos[case.repo]
        result = locate(repo, case.instruction, budget=budget)
        targets = target_lines(repo, case)
        found = []
        for path, line in targets:
            rank = next((i for i, r in enumerate(result.regions, 1)
                         if r.path == path and r.start_line <= line <= r.end_line), None)
            found.append(rank)
        ok = all(rank is not None for rank in found)
        passed += ok
        top3 += all(rank is not None and rank <= 3 for rank in found)
        if verbose or not ok:
            label = case.instruction.strip().splitlines()[0][:70]
            ranks = ", ".join(f"{p}:{n}@{r or '-'}" for (p, n), r in zip(targets, found, strict=True))
            print(f"  [{'ok' if ok else 'MISS'}] {case.repo:7} {label}  ->  {ranks}  "
                  f"({len(result.regions)} regions, {result.tokens} tokens)")
    return passed / len(CASES), top3 / len(CASES)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-v", "--verbose", action="store_true", help="print every case, not only misses")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="surgeon-locate-quality-"))
    try:
        repos = build_repos(base)
        fractions = {}
        for budget in (2000, 8000):
            print(f"budget {budget}:")
            fractions[budget] = evaluate(repos, budget, args.verbose)
        print(f"{len(CASES)} labelled instructions; all target lines inside the returned regions: "
              f"{fractions[2000][0]:.0%} at 2k tokens, {fractions[8000][0]:.0%} at 8k tokens; "
              f"inside the first 3 regions: {fractions[8000][1]:.0%}")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
