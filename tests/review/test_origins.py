"""origins check: hard-coded URLs/hosts/IPs in code, IPs in config, CORS and CSP wildcards."""

import pytest

from surgeon.review.checks import origins
from surgeon.review.scope import SourceFile
from surgeon.review.settings import ReviewSettings


def rules(path, text):
    return [(f.line, f.rule) for f in origins.check(SourceFile(path, text), ReviewSettings())]


@pytest.mark.parametrize(("path", "line", "rule"), [
    ("app/client.py", 'BILLING = "http://billing.internal.acme-corp.net:8080/charge"', "origin.url"),
    ("web/api.js", 'const API = "https://api.shopfront.io/v2";', "origin.url"),
    ("web/api.ts", 'const ws = new WebSocket("wss://stream.acme-corp.com/feed");', "origin.url"),
    ("main.go", 'const endpoint = "http://192.168.1.50:9000/jobs"', "origin.url"),
    ("app/db.py", 'DSN = "postgresql://db.prod.acme-corp.com:5432/shop"', "origin.url"),
    ("app/cache.py", 'CACHE_HOST = "10.12.4.31"', "origin.ip"),
    ("app/cache.py", 'REDIS = "redis.prod.acme-corp.com:6379"', "origin.host"),
    ("compose.yml", '      - "billing:172.16.4.20"', "origin.ip"),
    ("site.conf", "    proxy_pass https://10.20.1.7:8443;", "origin.ip"),
    ("sync.sh", "rsync -a build/ deploy@203.0.114.9:/srv/app", "origin.ip"),
])
def test_hard_coded_origins(path, line, rule):
    assert rules(path, line + "\n") == [(1, rule)]


@pytest.mark.parametrize(("path", "line"), [
    ("app/settings.py", 'API = os.environ.get("API_BASE", "https://api.partner.io/v1")'),
    ("web/config.js", 'const API = process.env.API_BASE || "https://api.partner.io";'),
    ("app/a.py", 'EXAMPLE = "https://shop.example.org/cart"'),
    ("app/a.py", 'LOCAL = "http://localhost:8000/api"'),
    ("app/a.py", 'LOOP = "http://127.0.0.1:8080"'),
    ("app/a.py", 'TEST = "http://api.service.test/x"'),
    ("app/a.py", 'DOCS_IP = "192.0.2.15"'),
    ("app/a.py", 'BIND = "0.0.0.0"'),
    ("app/a.py", 'MASK = "255.255.255.0"'),
    ("app/a.py", '__version__ = "1.2.3.4"'),
    ("app/a.py", 'SCHEMA = "http://json-schema.org/draft-07/schema#"'),
    ("app/a.py", 'NS = "http://www.w3.org/2000/svg"'),
    ("app/a.py", 'HELP = "See https://docs.acme.io/setup for details"'),
    ("app/a.py", "# see https://docs.acme.io/setup"),
    ("app/a.py", 'URL = f"https://{host}/api"'),
    ("app/a.py", 'LOGGER = "app.db.session"'),
    ("app/a.py", 'BUNDLE = "com.acmeshop.app"'),
    ("app/a.py", 'FILE = "setup.py"'),
    ("web/a.js", "// Background: https://developer.mozilla.org/en-US/docs/Web/API"),
    ("web/a.js", 'const version = "2.4.10.1";'),
    ("site.conf", "    allow 10.0.0.0/8;"),
    ("site.conf", "    server 127.0.0.1:8000;"),
    ("k8s.yaml", "          image: registry.acme-corp.com/shop/api:1.4.2"),
    ("tests/test_client.py", 'URL = "http://10.0.0.1/rates"'),
    ("docs/deploy.md", "The API lives at https://api.acme-corp.com"),
    ("package-lock.json", '"resolved": "https://registry.npmjs.org/axios/-/axios-1.6.8.tgz",'),
])
def test_lookalikes_are_quiet(path, line):
    assert rules(path, line + "\n") == []


def test_docstrings_are_prose():
    assert rules("app/a.py", '"""Client for https://api.partner.io."""\nX = 1\n') == []


@pytest.mark.parametrize(("path", "line", "rule"), [
    ("app.py", 'app.add_middleware(CORSMiddleware, allow_origins=["*"])', "origin.cors-wildcard"),
    ("settings.py", "CORS_ALLOW_ALL_ORIGINS = True", "origin.cors-wildcard"),
    ("server.js", "app.use(cors());", "origin.cors-wildcard"),
    ("server.js", 'res.setHeader("Access-Control-Allow-Origin", "*");', "origin.cors-wildcard"),
    ("site.conf", "    add_header Access-Control-Allow-Origin * always;", "origin.cors-wildcard"),
    (".env", "ALLOWED_ORIGINS=*", "origin.cors-wildcard"),
    ("site.conf", "    add_header Content-Security-Policy \"default-src *; frame-ancestors 'none'\";",
     "origin.csp-wildcard"),
    ("server.js", 'app.use(helmet({ contentSecurityPolicy: { directives: { defaultSrc: ["*"] } } }));',
     "origin.csp-wildcard"),
])
def test_wildcards(path, line, rule):
    assert rules(path, line + "\n") == [(1, rule)]


@pytest.mark.parametrize("line", [
    'CORS(app, origins=["https://shop.example.com"])',
    "add_header Content-Security-Policy \"default-src 'self'; img-src https://*.example.org\";",
])
def test_narrow_allow_lists_are_quiet(line):
    assert rules("site.conf" if line.startswith("add_header") else "app.py", line + "\n") == []
