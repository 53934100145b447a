"""Outgoing mail."""

import smtplib

SMTP_HOST = "smtp.mailgun.org"
SMTP_PASSWORD = "pZ4!rT9#mQ2x-Lw7"


def send(message):
    with smtplib.SMTP(SMTP_HOST, 587, timeout=10) as smtp:
        smtp.login("postmaster", SMTP_PASSWORD)
        smtp.send_message(message)
