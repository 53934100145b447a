"""pytest fixtures for the fake model server (imported by tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.server import FakeModelServer


@pytest.fixture
def fake_model(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeModelServer]:
    """A running fake model server; the SDKs in this process are pointed at it.

    ANTHROPIC_BASE_URL, OPENAI_BASE_URL and SURGEON_OPENAI_BASE_URL point here and the API keys
    are test values, so `make_provider("anthropic:...")` talks to it. For a CLI subprocess pass
    `env=fake_model.env()` to tests.helpers.run_surgeon. Script it with `fake_model.script([...])`
    and read `fake_model.requests` afterwards.
    """
    with FakeModelServer() as server:
        for name, value in server.env().items():
            monkeypatch.setenv(name, value)
        for name in ("ANTHROPIC_AUTH_TOKEN", "SURGEON_MODEL", "SURGEON_OPENAI_API_KEY"):
            monkeypatch.delenv(name, raising=False)
        yield server
