"""Thin Celery tasks for tracing."""

from celery import shared_task

from tracing import requests, services


@shared_task
def request_yearly_confirmations() -> int:
    """Monthly: ask States whose contacts are over a year old to confirm them (once a year)."""
    return services.request_yearly_confirmations()


@shared_task
def send_tracing_due_reminders() -> int:
    """Daily: tracing requests whose answer is due soon, or overdue."""
    return requests.send_due_reminders()
