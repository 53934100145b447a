"""Risky configuration: debug mode on, TLS verification off, `server_tokens on`, an nginx server that
serves content without the basic security headers, and world-writable file modes."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from surgeon.review.checks import nginx
from surgeon.review.findings import Finding, Severity, TextEdit, fingerprint
from surgeon.review.scope import SourceFile
from surgeon.review.settings import ReviewSettings

RULES: dict[str, str] = {
    "risky.debug": "debug mode switched on",
    "risky.tls-verify-off": "TLS certificate verification switched off",
    "risky.server-tokens": "nginx advertises its version",
    "risky.security-headers": "nginx server block without basic security headers",
    "risky.world-writable": "file mode or umask that lets anyone write",
}

_PY_DEBUG = (
    re.compile(r"^\s*DEBUG\s*=\s*True\b"),  # Django settings and friends
    re.compile(r"\bdebug\s*=\s*True\b"),  # app.run(debug=True), FastAPI(debug=True), Starlette(debug=True)
    re.compile(r"\.debug\s*=\s*True\b"),  # app.debug = True
    re.compile(r"\[\s*[\"']DEBUG[\"']\s*\]\s*=\s*True\b"),  # app.config["DEBUG"] = True
)
# KEY=value lines in env files, unit files (Environment=), Dockerfiles (ENV) and compose/k8s YAML.
_ENV_DEBUG = re.compile(
    r"(?<![\w.])((?:FLASK_|DJANGO_|APP_|)DEBUG|FLASK_ENV)[\"']?\s*(?:=|:|\s)\s*[\"']?(1|true|yes|on|development)\b",
    re.IGNORECASE)
_YAML_DEBUG = re.compile(r"^\s*debug\s*:\s*(true|yes|on)\s*$", re.IGNORECASE)
_JS_DEBUG = re.compile(r"\b(?:NODE_ENV|process\.env\.NODE_ENV)\s*=\s*[\"']development[\"']")

_TLS_OFF: tuple[tuple[re.Pattern[str], str, frozenset[str] | None], ...] = (
    (re.compile(r"\bverify\s*=\s*False\b"), "verify=False turns off certificate checks", frozenset({"python"})),
    (re.compile(r"\bverify_ssl\s*=\s*False\b"), "verify_ssl=False turns off certificate checks", frozenset({"python"})),
    (re.compile(r"\bcheck_hostname\s*=\s*False\b"), "check_hostname = False accepts any server name",
     frozenset({"python"})),
    (re.compile(r"\bssl\.CERT_NONE\b|\b_create_unverified_context\b"), "an unverified SSL context accepts any "
     "certificate", frozenset({"python"})),
    (re.compile(r"\brejectUnauthorized\s*:\s*false\b"), "rejectUnauthorized: false accepts any certificate",
     frozenset({"javascript", "typescript", "tsx", "json", "yaml"})),
    (re.compile(r"\bNODE_TLS_REJECT_UNAUTHORIZED[\"']?\s*[=:]\s*[\"']?0\b"),
     "NODE_TLS_REJECT_UNAUTHORIZED=0 turns off certificate checks for the whole process", None),
    (re.compile(r"\bPYTHONHTTPSVERIFY[\"']?\s*[=:]\s*[\"']?0\b"), "PYTHONHTTPSVERIFY=0 turns off certificate "
     "checks", None),
    (re.compile(r"\bInsecureSkipVerify\s*:\s*true\b"), "InsecureSkipVerify: true accepts any certificate",
     frozenset({"go"})),
    (re.compile(r"^\s*\w*_ssl_verify\s+off\s*;"), "TLS verification of the upstream is switched off",
     frozenset({"nginx"})),
    (re.compile(r"\bcurl\b[^|;&#]*\s(?:-k|--insecure)\b"), "curl -k/--insecure accepts any certificate",
     frozenset({"bash", "dockerfile", "yaml", "make"})),
    (re.compile(r"\bwget\b[^|;&#]*\s--no-check-certificate\b"), "wget --no-check-certificate accepts any "
     "certificate", frozenset({"bash", "dockerfile", "yaml", "make"})),
    (re.compile(r"\baws\b[^|;&#]*\s--no-verify-ssl\b"), "aws --no-verify-ssl accepts any certificate",
     frozenset({"bash", "dockerfile", "yaml", "make"})),
    (re.compile(r"\bstrict-ssl\s*[= ]\s*false\b"), "npm strict-ssl false accepts any certificate", None),
    (re.compile(r"\bsslVerify\s*=\s*false\b|\bhttp\.sslVerify\s+false\b", re.IGNORECASE),
     "git's sslVerify false accepts any certificate", None),
)

_CHMOD = re.compile(r"\bchmod\s+(?:-[A-Za-z]+\s+)*([0-7]{3,4}|[ugoa]*[+=][rwxXst]*w[rwxXst]*)\b")
_MODE_CALL = re.compile(r"\b(?:os\.chmod|\.chmod|chmodSync|fs\.chmod|os\.Chmod|os\.MkdirAll|os\.WriteFile|"
                        r"os\.OpenFile|os\.makedirs|os\.mkdir|os\.open|mkdirSync|writeFileSync)\s*\(.*?"
                        r"(?<![\w.])(0o?[0-7]{3,4})\b")
_UMASK = re.compile(r"(?:^\s*UMask\s*=\s*|\bumask\s+|\bos\.umask\s*\(\s*|\bprocess\.umask\s*\(\s*)(0o?[0-7]{0,4}|0)\b")
_YAML_MODE = re.compile(r"^\s*-?\s*(?:mode|defaultMode)\s*:\s*[\"']?(0?[0-7]{3,4})[\"']?\s*$")


def _world_writable(mode: str) -> bool:
    digits = mode.lower().removeprefix("0o")
    if not digits or not all(ch in "01234567" for ch in digits):
        return False
    return int(digits[-1], 8) & 0o2 != 0


def _symbolic_world_writable(mode: str) -> bool:
    match = re.fullmatch(r"([ugoa]*)([+=])([rwxXst]*)", mode)
    return match is not None and "w" in match.group(3) and any(who in match.group(1) for who in "oa")


def _is_dev_config(path: str) -> bool:
    stem = PurePosixPath(path).name.lower()
    return bool(re.search(r"(^|[._-])(dev|development|local|example|sample|debug|test)([._-]|$)", stem))


def _report(file: SourceFile, number: int, rule: str, severity: Severity, message: str,
            edits: tuple[TextEdit, ...] = ()) -> Finding:
    return Finding(file.path, number, rule, severity, message,
                   fingerprint=fingerprint(rule, file.path, file.line(number)), edits=edits)


def _debug(file: SourceFile, number: int, code: str, dev_config: bool) -> list[Finding]:
    if dev_config:
        return []
    language = file.language
    hit: re.Pattern[str] | re.Match[str] | None = None
    if language == "python":
        hit = next((p for p in _PY_DEBUG if p.search(code)), None)
    elif language in ("dotenv", "systemd", "dockerfile", "yaml", "ini", "toml", "bash"):
        hit = _ENV_DEBUG.search(code) or (language == "yaml" and _YAML_DEBUG.search(code)) or None
    elif language in ("javascript", "typescript", "tsx"):
        hit = _JS_DEBUG.search(code)
    if not hit:
        return []
    return [_report(file, number, "risky.debug", "medium",
                    "debug mode is switched on: debug pages and reloaders leak code, settings and secrets; "
                    "read it from the environment and keep it off in production")]


def _tls(file: SourceFile, number: int, code: str) -> list[Finding]:
    findings = []
    for pattern, why, languages in _TLS_OFF:
        if languages is not None and file.language not in languages:
            continue
        match = pattern.search(code)
        if not match:
            continue
        edits = _tls_edit(file, number, code, match)
        findings.append(_report(file, number, "risky.tls-verify-off", "high",
                                f"{why}: anyone on the network path can read and change the traffic", edits))
        break
    return findings


def _tls_edit(file: SourceFile, number: int, code: str, match: re.Match[str]) -> tuple[TextEdit, ...]:
    text = match.group(0)
    if text.startswith("verify") and "verify_ssl" not in text:
        # Remove the keyword argument together with the comma that joins it to its neighbour.
        before = re.search(r",\s*$", code[:match.start()])
        if before:
            return (TextEdit.replace_on_line(number, before.start(), match.end(), ""),)
        after = re.match(r"\s*,\s*", code[match.end():])
        if after:
            return (TextEdit.replace_on_line(number, match.start(), match.end() + after.end(), ""),)
        return ()
    if text.startswith("rejectUnauthorized") or text.startswith("InsecureSkipVerify"):
        old, new = ("false", "true") if text.startswith("reject") else ("true", "false")
        col = match.start() + text.rindex(old)
        return (TextEdit.replace_on_line(number, col, col + len(old), new),)
    return ()


def _world(file: SourceFile, number: int, code: str) -> list[Finding]:
    language = file.language
    mode = None
    if language in ("bash", "dockerfile", "make", "yaml") or file.name.endswith((".sh", ".bash")):
        match = _CHMOD.search(code)
        if match and (_world_writable(match.group(1)) if match.group(1)[0].isdigit()
                      else _symbolic_world_writable(match.group(1))):
            mode = match.group(1)
    if mode is None and language in ("python", "javascript", "typescript", "tsx", "go"):
        match = _MODE_CALL.search(code)
        if match and _world_writable(match.group(1)):
            mode = match.group(1)
    if mode is None and language == "yaml":
        match = _YAML_MODE.search(code)
        if match and _world_writable(match.group(1)):
            mode = match.group(1)
    if mode is None:
        match = _UMASK.search(code)
        if match and language in ("systemd", "bash", "dockerfile", "python", "javascript", "typescript", "make"):
            digits = match.group(1).lower().removeprefix("0o") or "0"
            if int(digits[-1], 8) & 0o2 == 0:
                return [_report(file, number, "risky.world-writable", "medium",
                                f"umask {match.group(1)} lets every user write the files this creates; use 027 "
                                "or 022")]
    if mode is None:
        return []
    return [_report(file, number, "risky.world-writable", "medium",
                    f"mode {mode} makes this writable by every user on the machine; grant write to the owner "
                    "(or group) only")]


def _nginx(file: SourceFile) -> list[Finding]:
    findings: list[Finding] = []
    tree = nginx.parse(file.lines)
    for directive in nginx.walk(tree):
        if directive.name == "server_tokens" and directive.args[:1] == ["on"] and file.judges(directive.line):
            line = file.line(directive.line)
            col = line.find("on", line.find("server_tokens") + len("server_tokens"))
            findings.append(_report(file, directive.line, "risky.server-tokens", "low",
                                    "server_tokens on shows the nginx version in headers and error pages",
                                    (TextEdit.replace_on_line(directive.line, col, col + 2, "off"),)))
        elif directive.name == "server" and directive.block is not None:
            findings.extend(_security_headers(file, directive))
    return findings


_SERVES = frozenset({"root", "alias", "proxy_pass", "fastcgi_pass", "uwsgi_pass", "scgi_pass", "grpc_pass",
                     "try_files", "index"})


def _headers_in(directives: list[nginx.Directive]) -> set[str]:
    return {d.args[0].lower() for d in directives if d.name in ("add_header", "more_set_headers") and d.args}


def _security_headers(file: SourceFile, server: nginx.Directive) -> list[Finding]:
    if any(parent.name in ("stream", "mail") for parent in server.ancestors()):
        return []
    children = server.block or []
    everything = list(server.walk())
    if any(d.name == "include" for d in everything):
        return []  # the headers may live in the included file
    listens = [d for d in children if d.name == "listen"]
    if not (file.judges(server.line) or any(file.judges(d.line) for d in listens)):
        return []
    if not any(d.name in _SERVES for d in everything):
        return []  # a redirect-only or status-only server
    tls = any("ssl" in d.args or "quic" in d.args for d in listens) or any(
        d.name == "ssl" and d.args[:1] == ["on"] for d in children)
    present = _headers_in(children)
    wanted = ["x-content-type-options"]
    if tls:
        wanted.append("strict-transport-security")
    missing = [header for header in wanted if header not in present]
    if not ({"content-security-policy", "x-frame-options"} & present):
        missing.append("content-security-policy (or x-frame-options)")
    if not missing:
        return _shadowed_headers(file, server, present)
    edits = _header_edits(file, server, [h for h in missing if h in ("x-content-type-options",
                                                                      "strict-transport-security")])
    names = ", ".join(_HEADER_TITLES[h] for h in missing)
    return [_report(file, server.line, "risky.security-headers", "medium",
                    f"this server block serves content without {names}", edits)]


_SECURITY_HEADERS = frozenset({"strict-transport-security", "x-content-type-options", "content-security-policy",
                               "x-frame-options"})


def _shadowed_headers(file: SourceFile, server: nginx.Directive, present: set[str]) -> list[Finding]:
    """nginx drops every inherited add_header in a block that has an add_header of its own."""
    findings = []
    for block in server.walk():
        if block is server or block.block is None or block.name not in ("location", "if"):
            continue
        own = [d for d in block.block if d.name == "add_header" and d.args]
        if not own or _headers_in(own) & _SECURITY_HEADERS or not any(file.judges(d.line) for d in own):
            continue
        dropped = ", ".join(_HEADER_TITLES.get(h, h) for h in sorted(present & _SECURITY_HEADERS))
        findings.append(_report(
            file, own[0].line, "risky.security-headers", "medium",
            f"this add_header makes nginx drop the server's security headers ({dropped}) for "
            f"`{block.name} {' '.join(block.args)}`: repeat them here or move them to a shared include"))
    return findings


_HEADER_LINES = {
    "x-content-type-options": 'add_header X-Content-Type-Options "nosniff" always;',
    "strict-transport-security": 'add_header Strict-Transport-Security "max-age=31536000" always;',
}


_HEADER_TITLES = {
    "content-security-policy": "Content-Security-Policy",
    "x-frame-options": "X-Frame-Options",
    "x-content-type-options": "X-Content-Type-Options",
    "strict-transport-security": "Strict-Transport-Security",
    "content-security-policy (or x-frame-options)": "Content-Security-Policy (or X-Frame-Options)",
}


def _header_edits(file: SourceFile, server: nginx.Directive, headers: list[str]) -> tuple[TextEdit, ...]:
    """New add_header lines after the server_name line (or the last listen line), indented like it."""
    if not headers:
        return ()
    children = server.block or []
    anchor = next((d for d in children if d.name == "server_name"), None) or next(
        (d for d in reversed(children) if d.name == "listen"), None)
    if anchor is None:
        return ()
    anchor_line = file.line(anchor.line)
    if not anchor_line.rstrip().endswith(";"):
        return ()
    indent = anchor_line[: len(anchor_line) - len(anchor_line.lstrip())]
    text = "".join(f"{indent}{_HEADER_LINES[h]}\n" for h in headers)
    return (TextEdit.insert(anchor.line + 1, 0, text),)


def check(file: SourceFile, settings: ReviewSettings) -> list[Finding]:
    if file.is_test or file.is_doc or file.is_lock:
        return []
    findings: list[Finding] = []
    if file.language == "nginx":
        findings.extend(_nginx(file))
    dev_config = _is_dev_config(file.path)
    for number, _line in file.judged_lines():
        code = file.lexed.code_line(number)
        if not code.strip():
            continue
        findings.extend(_debug(file, number, code, dev_config))
        findings.extend(_tls(file, number, code))
        findings.extend(_world(file, number, code))
    return findings
