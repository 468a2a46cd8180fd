import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]

PROD_ENV = {
    "SECRET_KEY": "x" * 64 + "-production-secret-for-the-check",
    "DATABASE_URL": "postgres://user:pw@db.example/realname",
    "FIELD_ENCRYPTION_KEYS": "7Bd1o0a2z5fM3b8m1b2c3d4e5f6g7h8i9j0k1l2m3n4=",
    "IDENTITY_HMAC_KEY": "hmac-production-key-" + "y" * 32,
    "AUDIT_LOG_KEY": "audit-production-key-" + "z" * 32,
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "ALLOWED_HOSTS": "realname.example",
}


def _manage(*args, env):
    # DJANGO_ALLOW_ASYNC_UNSAFE belongs to the browser tests' harness, never to a deployment.
    harness = {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in PROD_ENV and k not in harness}
    clean.update(env, DJANGO_SETTINGS_MODULE="config.settings.production")
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True,
                          timeout=120)


def test_check_deploy_is_clean_under_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PROD_ENV)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY", "DATABASE_URL", "FIELD_ENCRYPTION_KEYS", "IDENTITY_HMAC_KEY",
                                     "AUDIT_LOG_KEY"])
def test_production_refuses_to_start_without_a_secret(missing):
    env = {k: v for k, v in PROD_ENV.items() if k != missing}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert missing in result.stderr


@pytest.mark.django_db
def test_security_headers_and_no_inline_script(client):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    page = response.content.decode()
    assert "<script>" not in page and "<script " not in page.replace('<script src="/static/js/site.js" defer>', "")
    assert "//cdn" not in page and "https://" not in page


@pytest.mark.django_db
def test_language_switch_and_accept_language(client):
    assert 'lang="en"' in client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'lang="zh-hans"' in client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert 'lang="en"' in client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()


@pytest.mark.django_db
def test_healthz(client):
    assert client.get("/healthz").content == b"ok"
