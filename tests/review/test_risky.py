"""risky check: debug on, TLS verification off, server_tokens, security headers, world-writable modes."""

import pytest

from surgeon.review.checks import nginx, risky
from surgeon.review.scope import SourceFile
from surgeon.review.settings import ReviewSettings


def rules(path, text, judged=None):
    return [(f.line, f.rule) for f in risky.check(SourceFile(path, text, judged), ReviewSettings())]


@pytest.mark.parametrize(("path", "line", "rule"), [
    ("shop/settings.py", "DEBUG = True", "risky.debug"),
    ("app.py", 'app.run(host="0.0.0.0", debug=True)', "risky.debug"),
    ("app.py", 'app.config["DEBUG"] = True', "risky.debug"),
    ("app.py", "app.debug = True", "risky.debug"),
    ("deploy/.env.production", "FLASK_DEBUG=1", "risky.debug"),
    ("app.service", "Environment=DJANGO_DEBUG=true", "risky.debug"),
    ("Dockerfile", "ENV FLASK_ENV=development", "risky.debug"),
    ("client.py", "requests.get(url, verify=False)", "risky.tls-verify-off"),
    ("client.py", "ctx = ssl._create_unverified_context()", "risky.tls-verify-off"),
    ("client.py", "ctx.verify_mode = ssl.CERT_NONE", "risky.tls-verify-off"),
    ("agent.js", "new https.Agent({ rejectUnauthorized: false })", "risky.tls-verify-off"),
    ("boot.js", 'process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0";', "risky.tls-verify-off"),
    ("tls.go", "cfg := &tls.Config{InsecureSkipVerify: true}", "risky.tls-verify-off"),
    ("site.conf", "    proxy_ssl_verify off;", "risky.tls-verify-off"),
    ("deploy.sh", 'curl -k --fail "$HOOK"', "risky.tls-verify-off"),
    ("deploy.sh", 'wget --no-check-certificate "$URL"', "risky.tls-verify-off"),
    ("backup.sh", "aws s3 cp dump.sql s3://backups/ --no-verify-ssl", "risky.tls-verify-off"),
    ("deploy.sh", "chmod -R 777 /srv/uploads", "risky.world-writable"),
    ("deploy.sh", "chmod o+w /srv/uploads", "risky.world-writable"),
    ("deploy.sh", "umask 000", "risky.world-writable"),
    ("Dockerfile", "RUN chmod 666 /var/run/app.sock", "risky.world-writable"),
    ("fs.py", "os.chmod(path, 0o777)", "risky.world-writable"),
    ("fs.js", 'fs.chmodSync("/tmp/x", 0o666);', "risky.world-writable"),
    ("app.service", "UMask=0000", "risky.world-writable"),
    ("site.yml", '        mode: "0777"', "risky.world-writable"),
])
def test_risky_lines(path, line, rule):
    assert rules(path, line + "\n") == [(1, rule)]


@pytest.mark.parametrize(("path", "line"), [
    ("shop/settings.py", 'DEBUG = os.environ.get("DEBUG") == "1"'),
    ("shop/settings.py", "LOG_LEVEL = logging.DEBUG"),
    ("shop/settings.py", "# DEBUG = True"),
    ("shop/settings_dev.py", "DEBUG = True"),
    (".env.example", "FLASK_DEBUG=1"),
    ("tests/test_app.py", "requests.get(url, verify=False)"),
    ("client.py", "requests.get(url, verify=True, timeout=5)"),
    ("deploy.sh", "chmod 750 /srv/bin"),
    ("deploy.sh", "chmod u+w file"),
    ("deploy.sh", "curl --fail --max-time 10 \"$URL\""),
    ("fs.py", "os.chmod(path, 0o640)"),
    ("app.service", "UMask=0027"),
    ("site.yml", '        mode: "0640"'),
    ("docs/deploy.md", "Never run `chmod 777` and never `curl -k`."),
    ("k8s.yaml", "            defaultMode: 0644"),
])
def test_lookalikes_are_quiet(path, line):
    assert rules(path, line + "\n") == []


def test_server_tokens_on_has_a_fix():
    (finding,) = risky.check(SourceFile("site.conf", "http {\n    server_tokens on;\n}\n"), ReviewSettings())
    assert finding.rule == "risky.server-tokens"
    (edit,) = finding.edits
    assert (edit.start_line, edit.start_col, edit.end_col, edit.text) == (2, 18, 20, "off")


SERVING = """server {
    listen 443 ssl;
    server_name shop.acme.io;
    root /srv/shop;
}
"""


def test_security_headers_missing_in_a_serving_server():
    (finding,) = risky.check(SourceFile("site.conf", SERVING), ReviewSettings())
    assert (finding.line, finding.rule) == (1, "risky.security-headers")
    assert "X-Content-Type-Options" in finding.message and "Strict-Transport-Security" in finding.message
    (edit,) = finding.edits
    assert edit.start_line == 4 and "nosniff" in edit.text and edit.text.startswith("    add_header")


@pytest.mark.parametrize("conf", [
    # plain HTTP that only redirects
    "server {\n    listen 80;\n    return 301 https://$host$request_uri;\n}\n",
    # headers present
    "server {\n    listen 443 ssl;\n    root /srv;\n    add_header Strict-Transport-Security \"max-age=1\";\n"
    "    add_header X-Content-Type-Options nosniff;\n    add_header X-Frame-Options DENY;\n}\n",
    # an include may bring the headers
    "server {\n    listen 443 ssl;\n    root /srv;\n    include snippets/headers.conf;\n}\n",
    # stream servers speak TCP, not HTTP
    "stream {\n    server {\n        listen 5432;\n        proxy_pass db;\n    }\n}\n",
])
def test_security_headers_quiet(conf):
    assert rules("site.conf", conf) == []


def test_security_headers_judged_only_when_the_server_or_its_listen_is_added():
    assert rules("site.conf", SERVING, frozenset({4})) == []
    assert rules("site.conf", SERVING, frozenset({2})) == [(1, "risky.security-headers")]


def test_example_stack_site_conf_is_clean():
    from tests.helpers import EXAMPLE

    text = (EXAMPLE / "deploy/nginx/site.conf").read_text()
    assert rules("deploy/nginx/site.conf", text) == []


def test_nginx_parser_keeps_lines_quotes_and_variables():
    tree = nginx.parse(tuple('server {\n  add_header X "a; b" always; # c\n  return 301 https://${host}x;\n}'.split("\n")))
    (server,) = tree
    assert [(d.name, d.args, d.line) for d in server.block] == [
        ("add_header", ["X", "a; b", "always"], 2), ("return", ["301", "https://${host}x"], 3)]


def test_location_add_header_drops_the_servers_security_headers():
    conf = ("server {\n    listen 443 ssl;\n    root /srv;\n    add_header Strict-Transport-Security \"max-age=1\";\n"
            "    add_header X-Content-Type-Options nosniff;\n    add_header X-Frame-Options DENY;\n"
            "    location /files/ {\n        add_header Cache-Control \"public\";\n    }\n"
            "    location /api/ {\n        add_header Cache-Control no-store;\n"
            "        add_header X-Content-Type-Options nosniff;\n    }\n}\n")
    findings = risky.check(SourceFile("site.conf", conf), ReviewSettings())
    assert [(f.line, f.rule) for f in findings] == [(8, "risky.security-headers")]
    assert "Strict-Transport-Security" in findings[0].message and "/files/" in findings[0].message
