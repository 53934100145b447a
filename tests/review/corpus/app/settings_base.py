"""Settings shared by every environment; values come from the environment."""

import logging
import os

__version__ = "1.2.3.4"
VERSION = "10.2.0.1"
API_BASE = os.environ.get("API_BASE", "https://api.partner-shop.io/v1")
DEBUG = os.environ.get("DEBUG") == "1"
LOG_LEVEL = logging.DEBUG if DEBUG else logging.INFO
SECRET_KEY = os.environ["SECRET_KEY"]
DATABASE_PASSWORD = os.getenv("DATABASE_PASSWORD")
REQUEST_TIMEOUT = 30
SCHEMA = "http://json-schema.org/draft-07/schema#"
SVG_NAMESPACE = "http://www.w3.org/2000/svg"
DEFAULT_REQUEST_ID = "3f2a9c1e-7b4d-4e8a-9c2f-1a6b5d8e0f3c"
password_field = "password"
token_type = "bearer"
HELP = "See https://docs.acme-shop.io/setup for the list of settings."
LOGGER_NAME = "app.db.session"
BUNDLE_ID = "com.acmeshop.app"
SETUP_FILE = "setup.py"
PUBLIC_KEY_HEADER = "-----BEGIN PUBLIC KEY-----"
GIT_SHA = "9fceb02d0ae598e95dc970b74767f19372d61af8"
CHECKSUM = "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"
EXAMPLE_SHOP = "https://shop.example.org/cart"
LOCAL_API = "http://localhost:8000/api"
BIND = "0.0.0.0"
DOC_NET = "192.0.2.15"
STRIPE_TEST_HINT = "sk_live_xxxxxxxxxxxxxxxxxxxxxxxx"
