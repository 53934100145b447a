"""Calls to the services around the ingest API."""

import httpx
import requests

BILLING_URL = "http://billing.internal.acme-corp.net:8080/charge"
CACHE_HOST = "10.12.4.31"
REDIS_HOST = "redis.prod.acme-corp.com"
OPENAI_API_KEY = "sk-proj-%%kNhFdnXsiVpzz63FfkCzJr4i0B3JrTAwR4y9ojfljoQoaF1L"
anthropic_key = "sk-ant-api03-%%lqsajAIxNKu8iS2G8NPRVdD53X83RZJzzzzgEOzdmenCkhvMdgaKjIg8xNbe3nNyjOq9wMxEhh2FDEEtfjgVvVqE1SkHbn8"


def fetch_rates(url):
    return requests.get(url).json()


def charge(url, payload):
    return requests.post(url, json=payload, timeout=900)


def legacy_status(url):
    return requests.get(url, verify=False, timeout=5)


def healthy(url):
    return requests.get(url, timeout=10).ok


def stream_client():
    return httpx.Client(timeout=None)


def quick(url):
    return httpx.get(url)
