"""Settings for the ingest service, read from the environment with safe defaults."""

import os

ALLOWED_ORIGINS = [
    origin.strip()
    for origin in os.environ.get("ANALYTICS_ALLOWED_ORIGINS", "https://www.example.org").split(",")
    if origin.strip()
]

# Largest request body accepted, in bytes. nginx enforces the same limit in front of us.
MAX_BODY_BYTES = int(os.environ.get("ANALYTICS_MAX_BODY_BYTES", "65536"))

# Largest number of events in one batch.
MAX_EVENTS_PER_BATCH = 50
