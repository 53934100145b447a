"""Request and response models for the ingest API."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ingest.settings import MAX_EVENTS_PER_BATCH


class Event(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["pageview", "event"]
    session_id: str = Field(min_length=8, max_length=64)
    url: str = Field(max_length=2048)
    referrer: str | None = Field(default=None, max_length=2048)
    ts: datetime
    name: str | None = Field(default=None, max_length=64)
    title: str | None = Field(default=None, max_length=200)
    props: dict[str, str | int | float | bool] = Field(default_factory=dict)

    @field_validator("url", "referrer")
    @classmethod
    def must_be_http(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value

    @field_validator("props")
    @classmethod
    def small_props(cls, value: dict) -> dict:
        if len(value) > 20:
            raise ValueError("at most 20 properties")
        return value


class EventBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    events: list[Event] = Field(min_length=1, max_length=MAX_EVENTS_PER_BATCH)


class Accepted(BaseModel):
    accepted: int
