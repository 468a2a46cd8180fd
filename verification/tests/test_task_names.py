"""A worker finds every beat task, and verification's tasks keep the names they had before the rooms.

Beat and the messages already in the queue name a task by its string (`verification.tasks.*`), so
moving the code into documents/ and vouching/ must not change it.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

from verification.documents import tasks as document_tasks
from verification.vouching import tasks as vouching_tasks

ROOT = Path(__file__).resolve().parents[2]

# What a worker does when it starts: set Django up, then let Celery autodiscover the tasks.
WORKER_START = """
import json, django
django.setup()
from config.celery import app
app.loader.import_default_modules()
print(json.dumps(sorted(app.tasks)))
"""

NAMES = {
    "verification.tasks.process_submission_images",
    "verification.tasks.purge_decided_documents",
    "verification.tasks.process_stuck_submissions",
    "verification.tasks.vouch_cases_tick",
}


def test_a_starting_worker_registers_every_beat_task_under_its_old_name():
    # A fresh interpreter: in this one, the tests have already imported the task modules themselves.
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    result = subprocess.run([sys.executable, "-c", WORKER_START], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120, check=True)
    registered = set(json.loads(result.stdout.strip().splitlines()[-1]))
    assert {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()} <= registered
    assert NAMES <= registered


def test_the_task_objects_carry_those_names():
    tasks = [document_tasks.process_submission_images, document_tasks.purge_decided_documents,
             document_tasks.process_stuck_submissions, vouching_tasks.vouch_cases_tick]
    assert {task.name for task in tasks} == NAMES
