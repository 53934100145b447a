"""The ingest service: accepts batches of analytics events from web/analytics.js."""

from fastapi import FastAPI, HTTPException, Request
from fastapi.middleware.cors import CORSMiddleware
from pydantic import ValidationError

from ingest.models import Accepted, EventBatch
from ingest.settings import ALLOWED_ORIGINS, MAX_BODY_BYTES
from ingest.storage import store

app = FastAPI(title="analytics-ingest", docs_url=None, redoc_url=None)

app.add_middleware(
    CORSMiddleware,
    allow_origins=ALLOWED_ORIGINS,
    allow_methods=["POST"],
    allow_headers=["Content-Type"],
    max_age=600,
)


async def read_limited_body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and int(declared) > MAX_BODY_BYTES:
        raise HTTPException(status_code=413, detail="request body too large")
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise HTTPException(status_code=413, detail="request body too large")
    return body


@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/api/events", response_model=Accepted, status_code=202)
async def ingest_events(request: Request) -> Accepted:
    body = await read_limited_body(request)
    try:
        batch = EventBatch.model_validate_json(body)
    except ValidationError as exc:
        raise HTTPException(status_code=422, detail=exc.errors(include_url=False, include_context=False, include_input=False)) from None
    return Accepted(accepted=store.add_many(batch.events))
