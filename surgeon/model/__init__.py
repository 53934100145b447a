"""Models: providers behind one interface, routing per task, prices, the usage log, redaction.

    from surgeon.model import resolve_model, make_provider, Completion, Usage, record_usage, Redactor, never_send

The provider SDKs are imported only when make_provider builds a provider.
"""

from typing import TYPE_CHECKING

from surgeon.lazy import exports

if TYPE_CHECKING:
    from surgeon.model.base import RetryPolicy
    from surgeon.model.pricing import Price, cost, cost_text, price_for
    from surgeon.model.providers import make_provider, sdk_module
    from surgeon.model.redact import FoundSecret, Redactor, find_secrets, never_send
    from surgeon.model.routing import DEFAULT_MODELS, TASKS, ModelSpec, parse_spec, resolve_model
    from surgeon.model.types import (
        CallFailed,
        Completion,
        Ledger,
        Progress,
        ProgressCallback,
        Provider,
        Usage,
    )
    from surgeon.model.usage import Ledger as SpendLedger
    from surgeon.model.usage import SpendCaps, read_usage, record_usage, summarise, usage_log

__all__ = [
    "DEFAULT_MODELS", "TASKS", "CallFailed", "Completion", "Ledger", "SpendCaps", "SpendLedger", "FoundSecret", "ModelSpec", "Price", "Progress", "ProgressCallback",
    "Provider", "Redactor", "RetryPolicy", "Usage", "cost", "cost_text", "find_secrets", "make_provider",
    "never_send", "parse_spec", "price_for", "read_usage", "record_usage", "resolve_model", "sdk_module", "summarise",
    "usage_log",
]

__getattr__ = exports(__name__, {
    "RetryPolicy": "surgeon.model.base",
    "Price": "surgeon.model.pricing",
    "cost": "surgeon.model.pricing",
    "cost_text": "surgeon.model.pricing",
    "price_for": "surgeon.model.pricing",
    "make_provider": "surgeon.model.providers",
    "sdk_module": "surgeon.model.providers",
    "FoundSecret": "surgeon.model.redact",
    "Redactor": "surgeon.model.redact",
    "find_secrets": "surgeon.model.redact",
    "never_send": "surgeon.model.redact",
    "DEFAULT_MODELS": "surgeon.model.routing",
    "TASKS": "surgeon.model.routing",
    "ModelSpec": "surgeon.model.routing",
    "parse_spec": "surgeon.model.routing",
    "resolve_model": "surgeon.model.routing",
    "CallFailed": "surgeon.model.types",
    "Completion": "surgeon.model.types",
    "Ledger": "surgeon.model.types",
    "Progress": "surgeon.model.types",
    "ProgressCallback": "surgeon.model.types",
    "Provider": "surgeon.model.types",
    "Usage": "surgeon.model.types",
    "SpendLedger": "surgeon.model.usage:Ledger",
    "SpendCaps": "surgeon.model.usage",
    "read_usage": "surgeon.model.usage",
    "record_usage": "surgeon.model.usage",
    "summarise": "surgeon.model.usage",
    "usage_log": "surgeon.model.usage",
})
