"""Celery application. With no broker configured, tasks run in-process (eager)."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("poa")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# A static schedule: the tasks themselves read meetings and cycles from the database,
# so no database scheduler is needed.
app.conf.beat_schedule = {
    "heartbeat": {"task": "core.tasks.heartbeat", "schedule": 300.0},
    "deadline-reminders": {
        "task": "reporting.tasks.send_deadline_reminders",
        "schedule": crontab(minute=0, hour=6),
    },
    "contacts-confirmation": {
        "task": "tracing.tasks.request_yearly_confirmations",
        "schedule": crontab(minute=0, hour=7, day_of_month=1),
    },
    "tracing-due-reminders": {
        "task": "tracing.tasks.send_tracing_due_reminders",
        "schedule": crontab(minute=30, hour=6),
    },
    "analysis-editions": {
        "task": "reporting.tasks.build_automatic_editions",
        "schedule": crontab(minute=15, hour=5),
    },
    "analysis-resume-stalled": {
        "task": "reporting.tasks.resume_stalled_editions",
        "schedule": 300.0,
    },
    "stale-workbook-uploads": {
        "task": "reporting.tasks.delete_stale_workbook_uploads",
        "schedule": crontab(minute=30),
    },
}
