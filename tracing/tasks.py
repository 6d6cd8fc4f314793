"""Thin Celery tasks for tracing."""

from celery import shared_task

from tracing import services


@shared_task
def request_yearly_confirmations() -> int:
    """Monthly: ask States whose contacts are over a year old to confirm them (once a year)."""
    return services.request_yearly_confirmations()
