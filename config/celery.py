"""The Celery app; tasks are discovered in every installed app's tasks.py."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("realname")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
