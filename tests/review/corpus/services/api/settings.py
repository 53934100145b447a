import os

DEBUG = True
ALLOWED_HOSTS = ["*"]
CSRF_TRUSTED_ORIGINS = ["https://*.acme-corp.com"]
SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "PASSWORD": "Dj4ng0!Secret9",
    }
}
EMAIL_HOST = "smtp.sendgrid.net"
