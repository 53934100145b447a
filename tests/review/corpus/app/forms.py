"""Sign-in form handling and outgoing calls built from configuration."""

import argparse
import socket
import subprocess

from app import settings

AWS_REGION = "us-east-1"
NETMASK = "255.255.255.0"
JSON_HEADERS = {"Content-Type": "application/json"}
DATABASE_URI = "postgresql://{user}:{password}@{host}/shop"


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--password", help="database password")
    parser.add_argument("--api-token", dest="api_token", default=None)
    return parser.parse_args()


def auth_headers(token):
    return {"Authorization": f"Bearer {token}"}


def partner_url(host, path):
    return f"https://{host}/api/{path}"


def redirect_home(request):
    return "https://" + request.host + "/"


def prepare(path):
    socket.setdefaulttimeout(30)
    subprocess.run(["chmod", "755", path], check=True)


def login(session, user, password):
    return session.post(settings.LOGIN_URL, data={"user": user, "password": password}, timeout=10)
