# Two commands: `make run` and `make test`. Everything else is a helper for them.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8000
STAMP  := $(VENV)/.installed
COV_ARGS := --cov --cov-report=term-missing:skip-covered

.PHONY: run test install messages makemessages lint typecheck coverage ci e2e clean

$(PY):
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PYTHON) not found; set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): $(PY) requirements.txt requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $(STAMP)

install: $(STAMP)

messages: install
	$(VENV)/bin/pybabel compile --domain=django --directory=locale --statistics
	@echo "compiled locale/*/LC_MESSAGES/django.mo"

run: install messages
	DJANGO_SETTINGS_MODULE=config.settings.local $(PY) manage.py migrate --noinput
	DJANGO_SETTINGS_MODULE=config.settings.local $(PY) manage.py load_demo_data
	DJANGO_SETTINGS_MODULE=config.settings.local $(PY) manage.py runserver 127.0.0.1:$(PORT)

test: install messages
	$(PY) -m pytest -n auto --dist loadfile -q

e2e: install messages
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(PY) -m pytest e2e -q -p no:xdist

lint: install
	$(VENV)/bin/ruff check .
	$(PY) manage.py makemigrations --check --dry-run

# mypy with django-stubs; the checked files and the strict ones are listed in pyproject.toml ([tool.mypy]).
typecheck: install
	$(VENV)/bin/mypy

# The suite under coverage for every app; fails under the floor in pyproject.toml ([tool.coverage.report]).
coverage: install messages
	$(PY) -m pytest -n auto --dist loadfile -q $(COV_ARGS)

# Refresh the catalogue after changing strings (needs GNU gettext), then fill in zh_Hans.
makemessages: install
	$(PY) manage.py makemessages -l zh_Hans --ignore=.venv --ignore=var --no-obsolete --no-wrap

clean:
	rm -rf $(VENV) var
