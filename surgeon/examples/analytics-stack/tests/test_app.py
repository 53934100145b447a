import json

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from ingest.app import app
from ingest.settings import MAX_BODY_BYTES

client = TestClient(app, raise_server_exceptions=False)


def event(**overrides):
    base = {
        "type": "pageview",
        "session_id": "abcdef0123456789",
        "url": "https://www.example.org/pricing",
        "ts": "2026-01-05T10:00:00Z",
    }
    base.update(overrides)
    return base


def test_healthz():
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_accepts_a_batch():
    response = client.post("/api/events", json={"events": [event(), event(type="event", name="signup")]})
    assert response.status_code == 202
    assert response.json() == {"accepted": 2}


def test_rejects_unknown_fields():
    with pytest.raises(ValidationError):
        from ingest.models import EventBatch

        EventBatch.model_validate({"events": [event(password="hunter2")]})


def test_rejects_oversized_body():
    body = json.dumps({"events": [event(title="x" * (MAX_BODY_BYTES + 1))]})
    response = client.post("/api/events", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 413


def test_cors_preflight_for_allowed_origin():
    response = client.options(
        "/api/events",
        headers={"Origin": "https://www.example.org", "Access-Control-Request-Method": "POST"},
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "https://www.example.org"


def test_rejects_invalid_json():
    response = client.post("/api/events", content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 422


def test_rejects_non_http_url():
    response = client.post("/api/events", json={"events": [event(url="javascript:alert(1)")]})
    assert response.status_code == 422
