"""Hard-coded origins: absolute URLs, hostnames and IP addresses written into code where they should
come from configuration, IP literals in config files, and CORS or CSP allow-lists that accept `*`.

What does not report: reserved and documentation names (example.com/.org/.net, *.example, *.test,
*.invalid, localhost, 127.0.0.1, ::1, 192.0.2.0/24 ...), XML and JSON-schema namespaces, URLs
inside prose (a string with spaces, a comment, a docstring), values read from the environment with
a default, tests, lock files and documents.
"""

from __future__ import annotations

import ipaddress
import re

from surgeon.review.findings import Finding, fingerprint
from surgeon.review.scope import SourceFile
from surgeon.review.settings import ReviewSettings

RULES: dict[str, str] = {
    "origin.url": "absolute URL hard-coded in code",
    "origin.host": "hostname hard-coded in code",
    "origin.ip": "IP address hard-coded in code or config",
    "origin.cors-wildcard": "CORS allow-list accepts any origin",
    "origin.csp-wildcard": "Content-Security-Policy allows any source",
}

CODE_LANGUAGES = frozenset({"python", "javascript", "typescript", "tsx", "go", "rust", "java", "c", "cpp",
                            "bash"})
CONFIG_LANGUAGES = frozenset({"yaml", "json", "toml", "ini", "dotenv", "dockerfile", "nginx", "systemd"})

# Network schemes, including database and queue connection strings.
_URL = re.compile(r"\b(?:https?|wss?|ftps?|sftp|postgres(?:ql)?|mysql|mariadb|rediss?|amqps?|mongodb(?:\+srv)?|"
                  r"nats|kafka|grpcs?|ldaps?|smtps?)://(?:[^\s/@\"'`<>]*@)?(\[[0-9A-Fa-f:.]+\]|[^\s/:?#\"'`<>]+)")
_IPV4 = re.compile(r"(?<![\w.])((?:\d{1,3}\.){3}\d{1,3})(?![\w.]|/\d)")
_HOSTNAME = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+([a-z]{2,})(?::\d{1,5})?$")
# Top-level names that mark a real host in a bare string; file extensions (.py, .md, .ai, .in) left out.
_HOST_TLDS = frozenset({"com", "net", "org", "io", "dev", "app", "co", "cloud", "internal", "corp", "lan",
                        "intranet", "info", "biz", "tech", "xyz", "us", "uk", "de", "fr", "eu", "ca", "au",
                        "jp", "nl", "se", "ch", "es", "it", "br"})
_REVERSE_DNS_FIRST = frozenset({"com", "org", "net", "io", "edu", "gov", "de", "uk", "fr", "nl"})
_RESERVED_SUFFIXES = ("example.com", "example.org", "example.net", ".example", ".test", ".invalid",
                      ".localhost", ".local", ".localdomain", ".home.arpa")
_RESERVED_HOSTS = frozenset({"localhost", "example.com", "example.org", "example.net", "host.docker.internal",
                             "ip6-localhost", "ip6-loopback", "0.0.0.0"})
# Names that identify a vocabulary, not a server the program talks to.
_NAMESPACE_HOSTS = frozenset({"www.w3.org", "w3.org", "json-schema.org", "schemas.xmlsoap.org", "schema.org",
                              "xmlns.com", "purl.org", "schemas.microsoft.com", "schemas.openxmlformats.org",
                              "ns.adobe.com", "www.apache.org", "opensource.org", "spdx.org"})
_FROM_CONFIG = re.compile(r"getenv|environ|process\.env|os\.Getenv|System\.getenv|ENV\[|\bconfig\.get|"
                          r"settings\.get|import\.meta\.env", re.IGNORECASE)
_VERSION_CONTEXT = re.compile(r"version|\bver\b|release|\bv\d", re.IGNORECASE)

_CORS_HEADER = re.compile(r"Access-Control-Allow-Origin[\"']?\s*[,:]?\s*[\"']?\*(?![\w.])", re.IGNORECASE)
_CORS_SETTING = re.compile(
    r"\b\w*origins?\w*[\"']?\s*(?:=|:|=>)\s*\[?\s*[\"']?\*[\"']?\s*(?:\]|,|\)|;|$)", re.IGNORECASE)
_CORS_ALLOW_ALL = re.compile(r"\bCORS_(?:ORIGIN_ALLOW_ALL|ALLOW_ALL_ORIGINS)\s*[=:]\s*True\b")
_CORS_DEFAULTS = re.compile(r"(?:\bcors\(\s*\)|\bCORS\(\s*\w+\s*\))")  # express cors() / flask-cors CORS(app)
_CSP_HEADER = re.compile(r"Content-Security-Policy", re.IGNORECASE)
_CSP_WILDCARD = re.compile(r"\b[a-z-]+-src\b[^;\"']*?\s\*(?=[\s;\"']|$)", re.IGNORECASE)
_CSP_OBJECT = re.compile(r"\b\w+Src\s*:\s*\[[^\]]*[\"']\*[\"']", re.IGNORECASE)  # helmet({ defaultSrc: ["*"] })


def _reserved(host: str) -> bool:
    host = host.lower().strip("[]").rstrip(".")
    if host in _RESERVED_HOSTS or host.endswith(_RESERVED_SUFFIXES) or host in _NAMESPACE_HOSTS:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return _reserved_ip(address)


def _is_mask(address: ipaddress.IPv4Address) -> bool:
    """255.255.255.0 (a netmask) or 0.0.0.255 (a wildcard mask): a prefix length, not a machine."""
    bits = int(address)
    inverted = ~bits & 0xFFFFFFFF
    return (bits >> 24 == 255 and inverted & (inverted + 1) == 0) or (bits >> 24 == 0 and bits & (bits + 1) == 0)


def _reserved_ip(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv4Address) and _is_mask(address):
        return True
    documentation = any(address in ipaddress.ip_network(net) for net in
                        ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32"))
    return address.is_loopback or address.is_unspecified or address.is_link_local or documentation \
        or address.is_multicast


def _templated(host: str) -> bool:
    return any(mark in host for mark in ("{", "}", "$", "%", "<", ">", "+", "*"))


def _ip_findings(file: SourceFile, number: int, text: str, code_line: str) -> list[Finding]:
    findings: list[Finding] = []
    if _VERSION_CONTEXT.search(code_line):
        return findings
    for match in _IPV4.finditer(text):
        try:
            address = ipaddress.IPv4Address(match.group(1))
        except ValueError:
            continue
        if _reserved_ip(address):
            continue
        findings.append(Finding(
            file.path, number, "origin.ip", "low",
            f"IP address {address} is hard-coded: take it from configuration (or use a DNS name) so the "
            "same build runs in every environment",
            fingerprint=fingerprint("origin.ip", file.path, str(address))))
    return findings


def _code_findings(file: SourceFile, number: int) -> list[Finding]:
    code_line = file.lexed.code_line(number)
    if _FROM_CONFIG.search(code_line):
        return []
    findings: list[Finding] = []
    literals = [s.value for s in file.lexed.strings_on(number) if not s.is_doc]
    if file.language == "bash":  # shell words need no quotes
        literals.append(code_line)
    for literal in literals:
        if " " in literal.strip() and file.language != "bash":
            continue  # prose: a message or a help text that mentions a URL
        url_hosts = [m.group(1) for m in _URL.finditer(literal)]
        for host in url_hosts:
            if _templated(host) or _reserved(host) or "." not in host.strip("[]") and ":" not in host:
                continue
            findings.append(Finding(
                file.path, number, "origin.url", "low",
                f"URL with host {host} is hard-coded: read the base URL from configuration (an environment "
                "variable or a settings file) so each environment can point elsewhere",
                fingerprint=fingerprint("origin.url", file.path, host)))
        if url_hosts:
            continue
        bare = literal.strip().lower()
        host_match = _HOSTNAME.match(bare)
        if host_match and host_match.group(1) in _HOST_TLDS and bare.split(".")[0] not in _REVERSE_DNS_FIRST \
                and not _reserved(bare.split(":")[0]):
            findings.append(Finding(
                file.path, number, "origin.host", "low",
                f"hostname {bare} is hard-coded: read it from configuration",
                fingerprint=fingerprint("origin.host", file.path, bare)))
            continue
        findings.extend(_ip_findings(file, number, literal, code_line))
    return _dedupe(findings)


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, str]] = set()
    unique = []
    for finding in findings:
        key = (finding.rule, finding.fingerprint)
        if key not in seen:
            seen.add(key)
            unique.append(finding)
    return unique


def _wildcard_findings(file: SourceFile, number: int, code_line: str) -> list[Finding]:
    findings = []
    if _CORS_HEADER.search(code_line) or _CORS_SETTING.search(code_line) or _CORS_ALLOW_ALL.search(code_line) \
            or (file.language in ("python", "javascript", "typescript", "tsx") and _CORS_DEFAULTS.search(code_line)):
        findings.append(Finding(
            file.path, number, "origin.cors-wildcard", "medium",
            "CORS accepts any origin (*): list the origins that may call this service, from configuration",
            fingerprint=fingerprint("origin.cors-wildcard", file.path, code_line)))
    if (_CSP_HEADER.search(code_line) and _CSP_WILDCARD.search(code_line)) or _CSP_OBJECT.search(code_line):
        findings.append(Finding(
            file.path, number, "origin.csp-wildcard", "medium",
            "Content-Security-Policy allows any source (*): name the origins the page may load from",
            fingerprint=fingerprint("origin.csp-wildcard", file.path, code_line)))
    return findings


def check(file: SourceFile, settings: ReviewSettings) -> list[Finding]:
    if file.is_test or file.is_lock or file.is_doc:
        return []
    language = file.language
    if language not in CODE_LANGUAGES and language not in CONFIG_LANGUAGES:
        return []
    findings: list[Finding] = []
    for number, _line in file.judged_lines():
        code_line = file.lexed.code_line(number)
        if not code_line.strip():
            continue
        findings.extend(_wildcard_findings(file, number, code_line))
        if language in CODE_LANGUAGES:
            findings.extend(_code_findings(file, number))
        elif not re.search(r"\b(allow|deny|set_real_ip_from|cidr|subnet|netmask)\b", code_line, re.IGNORECASE):
            findings.extend(_dedupe(_ip_findings(file, number, code_line, code_line)))
    return findings
