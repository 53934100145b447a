import ssl
import urllib.request

import requests

from app import settings

WEBHOOK = "https://hooks.partner-notify.io/v1/notify"
session = requests.Session()


def notify(payload):
    return session.post(settings.NOTIFY_URL, json=payload)


def legacy_feed(url):
    context = ssl._create_unverified_context()
    return urllib.request.urlopen(url, context=context).read()


def plain_feed(url):
    return urllib.request.urlopen(url).read()
