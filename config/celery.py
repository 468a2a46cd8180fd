"""The Celery app; tasks are discovered in every installed app's tasks.py (and in verification's rooms)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("realname")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Verification keeps its tasks in its two rooms (packages), which the line above does not look into.
app.autodiscover_tasks(["verification.documents", "verification.vouching"])
