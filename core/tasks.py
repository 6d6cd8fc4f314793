"""Thin Celery tasks for the core app."""

import smtplib

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.utils import timezone

HEARTBEAT_KEY = "celery:heartbeat"


@shared_task
def heartbeat() -> str:
    """Canary: shows on /healthz/ that workers still consume (they can stop after a Redis
    restart without any error)."""
    now = timezone.now().isoformat()
    cache.set(HEARTBEAT_KEY, now, timeout=3600)
    return now


@shared_task(bind=True, acks_late=True)
def send_email(self, *, subject: str, body: str, to: list[str]) -> int:
    """Send one rendered e-mail. While the mail server is unreachable or fails (any OSError,
    smtplib's errors included), try again after EMAIL_RETRY_SECONDS, doubling up to an hour,
    at most EMAIL_RETRY_ATTEMPTS times. A refused address is not retried: it will not get
    better. In-process tasks (no broker) do not retry: they would hold up the request."""
    try:
        return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to)
    except smtplib.SMTPRecipientsRefused:
        raise
    except OSError as exc:
        if self.request.is_eager:
            raise
        delay = min(settings.EMAIL_RETRY_SECONDS * 2**self.request.retries, 3600)
        raise self.retry(
            exc=exc, countdown=delay, max_retries=settings.EMAIL_RETRY_ATTEMPTS
        ) from exc
