import re

import httpx

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
ACME_LINK = re.compile(r"https?://(www\.)?acme-corp\.com/")


def client():
    return httpx.Client(timeout=TIMEOUT)
