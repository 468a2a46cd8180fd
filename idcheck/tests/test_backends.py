import logging
import uuid
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from stdnum.cn import ric

from idcheck import backends
from idcheck.backends import HttpBackend, ProviderResult, SandboxBackend, get_backend

from .conftest import TOKEN

DOCS = Path(__file__).resolve().parents[2] / "docs" / "idcheck-http-contract.md"
NOT_FOUND_EXAMPLE = "120101198001011234"
ERROR_NUMBER = "110101199001019992"
ERROR_CHARGED_NUMBER = "110101199001019984"


def test_every_sandbox_number_is_a_valid_resident_id_and_documented():
    numbers = [*SandboxBackend.IDENTITIES, NOT_FOUND_EXAMPLE, ERROR_NUMBER, ERROR_CHARGED_NUMBER]
    docs = DOCS.read_text(encoding="utf-8")
    for number in numbers:
        assert ric.is_valid(number), number
        assert number in docs and number in backends.__doc__
    for number, name in SandboxBackend.IDENTITIES.items():
        assert f"| {name} | {number} | match |" in docs
    assert ERROR_NUMBER[14:17] == SandboxBackend.ERROR_SEQUENCE
    assert ERROR_CHARGED_NUMBER[14:17] == SandboxBackend.ERROR_CHARGED_SEQUENCE


@pytest.mark.parametrize(("name", "number", "result", "charged"), [
    ("王五", "11010519491231002X", "match", True),
    ("李四", "110101199003071233", "match", True),
    ("赵六", "310104198506150023", "match", True),
    ("张三", "11010519491231002X", "mismatch", True),
    ("王五", "110101199003071233", "mismatch", True),
    ("王五", NOT_FOUND_EXAMPLE, "not_found", True),
    ("王五", ERROR_NUMBER, "error", False),
    ("王五", ERROR_CHARGED_NUMBER, "error", True),
])
def test_sandbox_answers_are_deterministic(name, number, result, charged):
    answers = {SandboxBackend().check(real_name=name, id_number=number, request_id=str(uuid.uuid4()))
               for _ in range(3)}
    assert {(a.result, a.charged) for a in answers} == {(result, charged)}
    assert all(a.reference.startswith("sandbox-") for a in answers)


def test_default_backend_is_the_sandbox(settings):
    assert isinstance(get_backend(), SandboxBackend)
    settings.IDCHECK_BACKEND = "idcheck.models.IdCheckQuery"
    with pytest.raises(ImproperlyConfigured):
        get_backend()


def test_provider_result_refuses_unknown_codes():
    with pytest.raises(ValueError):
        ProviderResult("name_wrong")


# --- HTTP backend against the loopback fake ----------------------------------

def _check(name="王五", number="11010519491231002X", request_id=None):
    request_id = request_id or str(uuid.uuid4())
    return HttpBackend().check(real_name=name, id_number=number, request_id=request_id), request_id


@pytest.mark.parametrize("answer", ["match", "mismatch", "not_found"])
def test_http_answers_and_the_request_follows_the_contract(fake_provider, answer):
    fake_provider.answer = answer
    result, request_id = _check()
    assert result == ProviderResult(answer, "GOV-1", charged=True)
    [received] = fake_provider.requests
    assert received["path"] == "/v1/idcheck"
    assert received["json"] == {"request_id": request_id, "name": "王五", "id_number": "11010519491231002X"}
    assert str(uuid.UUID(received["json"]["request_id"])) == request_id
    assert "王五".encode() in received["raw"]  # UTF-8, not \u escapes
    headers = {k.lower(): v for k, v in received["headers"].items()}
    assert headers["authorization"] == f"Bearer {TOKEN}"
    assert headers["content-type"].startswith("application/json")


def test_http_makes_its_own_request_id_when_none_is_given(fake_provider):
    result = HttpBackend().check(real_name="王五", id_number="11010519491231002X")
    assert result.result == "match"
    uuid.UUID(fake_provider.requests[0]["json"]["request_id"])


@pytest.mark.parametrize(("mode", "charged"), [
    ("500", False),
    ("500-charged", True),
    ("malformed", False),
    ("not-an-object", False),
    ("other-request-id", False),
    ("unknown-result", False),
    ("redirect", False),
])
def test_http_failures_are_errors_charged_only_when_the_provider_says_so(fake_provider, mode, charged):
    fake_provider.mode = mode
    result, _ = _check()
    assert (result.result, result.charged) == ("error", charged)
    # A redirect is not followed: the person's data went to the configured address only.
    assert [r["path"] for r in fake_provider.requests] == ["/v1/idcheck"]


def test_http_wrong_bearer_token_is_an_uncharged_error(fake_provider, settings):
    settings.IDCHECK_HTTP_TOKEN = "not-the-token"
    result, _ = _check()
    assert (result.result, result.charged) == ("error", False)
    assert fake_provider.requests[0]["headers"]["Authorization"] == "Bearer not-the-token"


def test_http_timeout_is_an_uncharged_error(fake_provider, settings):
    settings.IDCHECK_HTTP_TIMEOUT_SECONDS = 0.2
    fake_provider.mode, fake_provider.delay = "sleep", 1.0
    result, _ = _check()
    assert (result.result, result.charged) == ("error", False)


def test_http_unreachable_provider_is_an_uncharged_error(settings, monkeypatch):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.IDCHECK_HTTP_URL = f"http://127.0.0.1:{port}/v1/idcheck"
    settings.IDCHECK_HTTP_TOKEN = TOKEN
    settings.IDCHECK_HTTP_TIMEOUT_SECONDS = 1.0
    result, _ = _check()
    assert (result.result, result.charged) == ("error", False)


@pytest.mark.parametrize(("url", "token"), [
    ("", TOKEN),
    ("https://idcheck.example/v1", ""),
    ("http://idcheck.example/v1", TOKEN),
    ("file:///etc/passwd", TOKEN),
])
def test_http_backend_refuses_an_unsafe_or_incomplete_configuration(settings, url, token):
    settings.IDCHECK_HTTP_URL, settings.IDCHECK_HTTP_TOKEN = url, token
    with pytest.raises(ImproperlyConfigured):
        HttpBackend()


def test_http_backend_logs_request_ids_and_results_never_the_person(fake_provider, settings, caplog):
    caplog.set_level(logging.DEBUG)
    request_ids = []
    for mode in ["answer", "500", "malformed", "500-charged", "unknown-result"]:
        fake_provider.mode = mode
        request_ids.append(_check()[1])
    settings.IDCHECK_HTTP_TOKEN = "wrong"
    request_ids.append(_check()[1])
    settings.IDCHECK_HTTP_TIMEOUT_SECONDS = 0.2
    settings.IDCHECK_HTTP_TOKEN = TOKEN
    fake_provider.mode, fake_provider.delay = "sleep", 1.0
    request_ids.append(_check()[1])
    text = caplog.text
    assert "王五" not in text and "11010519491231002X" not in text and "1101051949" not in text
    for request_id in request_ids:
        assert request_id in text
    assert "match" in text and "error" in text
