"""Models: providers behind one interface, routing per task, prices, the usage log, redaction.

    from surgeon.model import resolve_model, make_provider, Completion, Usage, record_usage, Redactor, never_send

The provider SDKs are imported only when make_provider builds a provider.
"""

from surgeon.model.base import RetryPolicy
from surgeon.model.pricing import Price, cost, cost_text, price_for
from surgeon.model.providers import make_provider
from surgeon.model.redact import FoundSecret, Redactor, find_secrets, never_send
from surgeon.model.routing import DEFAULT_MODELS, TASKS, ModelSpec, parse_spec, resolve_model
from surgeon.model.types import CallFailed, Completion, Ledger, Progress, ProgressCallback, Provider, Usage
from surgeon.model.usage import Ledger as SpendLedger
from surgeon.model.usage import SpendCaps, read_usage, record_usage, summarise, usage_log

__all__ = [
    "DEFAULT_MODELS", "TASKS", "CallFailed", "Completion", "Ledger", "SpendCaps", "SpendLedger", "FoundSecret", "ModelSpec", "Price", "Progress", "ProgressCallback",
    "Provider", "Redactor", "RetryPolicy", "Usage", "cost", "cost_text", "find_secrets", "make_provider",
    "never_send", "parse_spec", "price_for", "read_usage", "record_usage", "resolve_model", "summarise",
    "usage_log",
]
