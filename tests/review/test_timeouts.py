"""timeouts check: nginx, systemd and HTTP clients, against review.max_timeout_seconds."""

import pytest

from surgeon.review.checks import timeouts
from surgeon.review.checks.nginx import seconds
from surgeon.review.scope import SourceFile
from surgeon.review.settings import ReviewSettings

S = ReviewSettings()


def rules(path, text, settings=S):
    return [(f.line, f.rule) for f in timeouts.check(SourceFile(path, text), settings)]


def test_nginx_time_units():
    assert seconds("90") == 90 and seconds("10m") == 600 and seconds("1h 30m") == 5400 and seconds("500ms") == 0.5
    assert seconds("off") is None


def test_nginx_over_the_threshold():
    conf = ("server {\n    proxy_read_timeout 3600s;\n    proxy_send_timeout 30s;\n    keepalive_timeout 600;\n"
            "    ssl_session_timeout 1d;\n    client_body_timeout 10m;\n}\n")
    assert rules("site.conf", conf) == [(2, "timeout.nginx"), (4, "timeout.nginx"), (6, "timeout.nginx")]
    assert rules("site.conf", conf, ReviewSettings(max_timeout_seconds=4000)) == []


def test_nginx_threshold_comes_from_settings():
    conf = "location / {\n    proxy_read_timeout 300s;\n}\n"
    assert rules("site.conf", conf) == [(2, "timeout.nginx")]
    assert rules("site.conf", conf, ReviewSettings(max_timeout_seconds=600)) == []


def test_nginx_fix_replaces_only_the_value():
    finding = timeouts.check(SourceFile("site.conf", "    proxy_read_timeout 3600s;\n"), S)[0]
    (edit,) = finding.edits
    assert (edit.start_col, edit.end_col, edit.text) == (23, 28, "60s")


@pytest.mark.parametrize(("line", "hit"), [
    ("TimeoutStartSec=infinity", True), ("TimeoutStopSec=30min", True), ("TimeoutSec=0", True),
    ("TimeoutStopSec=30", False), ("TimeoutSec=90", False), ("TimeoutStartSec=1min 30s", False),
    ("# TimeoutSec=infinity", False),
])
def test_systemd(line, hit):
    assert rules("app.service", f"[Service]\n{line}\n") == ([(2, "timeout.systemd")] if hit else [])


PY = '''import aiohttp
import httpx
import requests
import urllib.request
from requests import get as fetch

session = requests.Session()


def calls(url, kwargs):
    requests.get(url)
    requests.post(url, json={}, timeout=900)
    requests.get(url, timeout=10)
    requests.get(url, timeout=(3, 30))
    requests.get(url, timeout=None)
    requests.get(url, **kwargs)
    fetch(url)
    session.post(url, json={})
    httpx.get(url)
    httpx.Client(timeout=None)
    httpx.Client(timeout=600)
    aiohttp.ClientSession()
    aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20))
    urllib.request.urlopen(url)
    urllib.request.urlopen(url, timeout=5)
    requests.get(
        url,
        headers={},
    )
'''


def test_python_clients():
    assert rules("app/client.py", PY) == [
        (11, "timeout.http-missing"), (12, "timeout.http-large"), (15, "timeout.http-missing"),
        (17, "timeout.http-missing"), (18, "timeout.http-missing"), (20, "timeout.http-missing"),
        (21, "timeout.http-large"), (22, "timeout.http-missing"), (24, "timeout.http-missing"),
        (26, "timeout.http-missing"),
    ]


def test_python_missing_timeout_fix_goes_after_the_last_argument():
    findings = {f.line: f for f in timeouts.check(SourceFile("app/client.py", PY), S)}
    (edit,) = findings[11].edits
    assert (edit.start_line, edit.start_col, edit.text) == (11, 20, ", timeout=10")
    (edit,) = findings[26].edits  # multi-line call with a trailing comma
    assert (edit.start_line, edit.text) == (28, ", timeout=10")


def test_tests_are_not_judged():
    assert rules("tests/test_client.py", PY) == []


JS = '''export async function a(url) {
  return fetch(url);
}
export async function b(url) {
  return fetch(url, { signal: AbortSignal.timeout(5000) });
}
export async function c(url) {
  return fetch(url, { signal: AbortSignal.timeout(600000) });
}
const api = axios.create({ baseURL: "/api" });
const ok = axios.create({ baseURL: "/api", timeout: 5000 });
const slow = axios.create({ baseURL: "/api", timeout: 900000 });
setTimeout(flush, 600000);
export default { async fetch(request, env) { return new Response("ok"); } };
'''


def test_javascript_clients():
    assert rules("web/api.js", JS) == [
        (2, "timeout.http-missing"), (8, "timeout.http-large"), (10, "timeout.http-missing"),
        (12, "timeout.http-large"),
    ]


def test_go_default_client_and_client_without_timeout():
    go = ('package main\n\nfunc a(u string) { http.Get(u) }\n'
          'func b() *http.Client {\n\treturn &http.Client{}\n}\n'
          'func c() *http.Client {\n\treturn &http.Client{Timeout: 5 * time.Second}\n}\n')
    assert rules("main.go", go) == [(3, "timeout.http-missing"), (5, "timeout.http-missing")]
