"""Block parsers for nginx, INI/systemd, Dockerfile, .env and Makefiles."""

from hypothesis import given, settings
from hypothesis import strategies as st

from surgeon.locate.blocks import parse_blocks

NGINX = """\
# front
upstream app {
    server 127.0.0.1:8081;
}

server {
    listen 443 ssl;
    server_name example.org;
    add_header Content-Security-Policy "default-src 'self'; img-src { data: }" always;

    location /api/ {
        limit_except POST {
            deny all;
        }
        proxy_pass http://app;  # trailing } in a comment
    }
}
"""


def by_name(outline):
    return {d.name: d for d in outline.definitions}


def test_nginx_blocks_nest_by_braces_and_ignore_braces_in_quotes_and_comments():
    outline = parse_blocks("nginx", NGINX)
    defs = by_name(outline)
    assert (defs["upstream app"].start, defs["upstream app"].end) == (2, 4)
    server = defs["server example.org:443"]
    assert (server.start, server.end, server.kind) == (6, 17, "block")
    assert (defs["location /api/"].start, defs["location /api/"].end) == (11, 16)
    assert defs["limit_except POST"].qualname == "server > location /api/ > limit_except POST"
    header = defs["add_header Content-Security-Policy"]
    assert (header.kind, header.start, header.end) == ("setting", 9, 9)
    assert outline.comments == ((1, 1),)


def test_nginx_unbalanced_braces_do_not_crash_and_close_at_the_end():
    outline = parse_blocks("nginx", "server {\n  listen 80;\n  location / {\n    return 404;\n")
    defs = by_name(outline)
    assert defs["server"].end == 4
    assert parse_blocks("nginx", "}}}\n;;\n").definitions is not None


def test_systemd_sections_and_settings():
    text = "[Unit]\nDescription=x\n\n[Service]\n# comment\nExecStart=/bin/run \\\n  --flag\nUser=app\n\n[Install]\nWantedBy=multi-user.target\n"
    defs = by_name(parse_blocks("systemd", text))
    assert (defs["[Service]"].start, defs["[Service]"].end) == (4, 8)
    assert (defs["ExecStart"].start, defs["ExecStart"].end, defs["ExecStart"].qualname) == (6, 7, "Service.ExecStart")
    assert defs["[Install]"].end == 11


def test_ini_continuation_lines_belong_to_their_key():
    defs = by_name(parse_blocks("ini", "[options]\npackages =\n    foo\n    bar\nzip_safe = false\n"))
    assert (defs["packages"].start, defs["packages"].end) == (2, 4)


def test_dockerfile_stages_and_instructions():
    text = "FROM python:3.11 AS build\nRUN pip install \\\n    x\nENV APP_PORT=8000\n\nFROM gcr.io/distroless AS run\nCOPY --from=build /a /b\n"
    defs = parse_blocks("dockerfile", text).definitions
    stages = [(d.name, d.start, d.end) for d in defs if d.kind == "stage"]
    assert stages == [("build", 1, 4), ("run", 6, 7)]
    names = {d.name: (d.start, d.end) for d in defs if d.kind == "instruction"}
    assert names["RUN"] == (2, 3) and names["ENV APP_PORT"] == (4, 4)


def test_dotenv_and_make():
    env = by_name(parse_blocks("dotenv", "# x\nexport API_URL=https://a\nDEBUG=1\n"))
    assert env["API_URL"].start == 2 and env["DEBUG"].start == 3
    make = by_name(parse_blocks("make", "CC = gcc\n\nbuild: main.c\n\tgcc main.c\n\ttest -f a.out\n\nclean:\n\trm a.out\n"))
    assert (make["build"].start, make["build"].end) == (3, 5)
    assert make["CC"].kind == "variable"


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["nginx", "systemd", "ini", "dockerfile", "dotenv", "make"]),
       st.text(alphabet=st.sampled_from(list("ab {};=[]#\\\n\"'")), max_size=200))
def test_block_parsers_never_fail_and_stay_inside_the_file(kind, text):
    outline = parse_blocks(kind, text)
    last = max(1, len(text.splitlines()))
    for d in outline.definitions:
        assert 1 <= d.start <= d.end <= last
