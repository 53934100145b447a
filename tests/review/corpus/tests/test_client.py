import requests

from ingest import client

API_KEY = "test-key"
AWS_KEY = "AKIAIOSFODNN7EXAMPLE"
password = "hunter2hunter2"


def test_rates(requests_mock):
    requests_mock.get("http://10.0.0.1/rates", json={})
    assert requests.get("http://10.0.0.1/rates", verify=False).json() == {}


def test_debug_app():
    DEBUG = True
    assert DEBUG
