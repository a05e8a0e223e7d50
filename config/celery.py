"""Celery app. Eager (in-process) when no broker is configured, Redis workers otherwise."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("techbridge", task_cls="core.celery_reliability:BoundedTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
