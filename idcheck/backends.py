"""Providers of the paid name/ID-number check; settings.IDCHECK_BACKEND picks one.

A provider only ever says one of: match, mismatch, not_found, error. It never says
which field was wrong, and nothing here logs the name or the number.

Sandbox identities (SandboxBackend; every number passes ``stdnum.cn.ric``):

=================  ====================  ======================================
name               number                result
=================  ====================  ======================================
王五                11010519491231002X    match
李四                110101199003071233    match
赵六                310104198506150023    match
any other name     one of the above      mismatch (e.g. 张三 / 11010519491231002X)
any name           110101199001019992    error, not charged (sequence code 999)
any name           110101199001019984    error, charged (sequence code 998)
any name           any other valid number  not_found (e.g. 120101198001011234)
=================  ====================  ======================================

The sequence code is the three digits before the check digit (characters 15-17).
The sandbox says "charged" for every non-error answer so that the ledger and the
budget behave locally as they will with the paid service.
"""

import http.client
import json
import logging
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from ipaddress import ip_address
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

MATCH, MISMATCH, NOT_FOUND, ERROR = "match", "mismatch", "not_found", "error"
PROVIDER_RESULTS = frozenset({MATCH, MISMATCH, NOT_FOUND, ERROR})
# What a provider may answer successfully; "error" is ours, for anything else.
ANSWERS = frozenset({MATCH, MISMATCH, NOT_FOUND})


@dataclass(frozen=True)
class ProviderResult:
    """A provider's answer: one of PROVIDER_RESULTS, its reference id, and whether it billed us."""

    result: str
    reference: str = ""
    charged: bool = False

    def __post_init__(self):
        if self.result not in PROVIDER_RESULTS:
            raise ValueError(f"unknown provider result {self.result!r}")


class IdCheckBackend:
    """Base class: ``check`` must answer with a ProviderResult and should not raise."""

    name = "base"

    def check(self, *, real_name: str, id_number: str, request_id: str | None = None) -> ProviderResult:
        """Ask whether the name belongs to the number; request_id makes a retry free at the provider."""
        raise NotImplementedError


class SandboxBackend(IdCheckBackend):
    """Deterministic, local, free: the identities in the module docstring."""

    name = "sandbox"
    IDENTITIES = {
        "11010519491231002X": "王五",
        "110101199003071233": "李四",
        "310104198506150023": "赵六",
    }
    ERROR_SEQUENCE = "999"
    ERROR_CHARGED_SEQUENCE = "998"

    def check(self, *, real_name: str, id_number: str, request_id: str | None = None) -> ProviderResult:
        """Answer from the table without any network call."""
        request_id = request_id or str(uuid.uuid4())
        reference = f"sandbox-{request_id}"
        number = id_number.strip().upper()
        sequence = number[14:17]
        if sequence == self.ERROR_SEQUENCE:
            result = ProviderResult(ERROR, reference, charged=False)
        elif sequence == self.ERROR_CHARGED_SEQUENCE:
            result = ProviderResult(ERROR, reference, charged=True)
        elif number not in self.IDENTITIES:
            result = ProviderResult(NOT_FOUND, reference, charged=True)
        elif " ".join(real_name.split()) == self.IDENTITIES[number]:
            result = ProviderResult(MATCH, reference, charged=True)
        else:
            result = ProviderResult(MISMATCH, reference, charged=True)
        logger.info("idcheck sandbox request %s: %s (charged=%s)", request_id, result.result, result.charged)
        return result


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    # A redirect would resend the bearer token and the person's data to another address: treat it as an error.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class HttpBackend(IdCheckBackend):
    """The JSON-over-HTTPS contract of docs/idcheck-http-contract.md, standard library only."""

    name = "http"
    # A verdict is a few hundred bytes; anything much larger is not one.
    MAX_RESPONSE_BYTES = 64 * 1024

    def __init__(self):
        self.url = settings.IDCHECK_HTTP_URL
        self.token = settings.IDCHECK_HTTP_TOKEN
        self.timeout = float(settings.IDCHECK_HTTP_TIMEOUT_SECONDS)
        if not self.url or not self.token:
            raise ImproperlyConfigured("IDCHECK_HTTP_URL and IDCHECK_HTTP_TOKEN must be set for the HTTP ID-check backend.")
        parts = urlsplit(self.url)
        if parts.scheme != "https" and not (parts.scheme == "http" and _is_loopback(parts.hostname)):
            # Names and ID numbers travel in the body: plain HTTP is only allowed to a local fake or tunnel.
            raise ImproperlyConfigured("IDCHECK_HTTP_URL must use https:// (http:// only for a loopback address).")
        self._opener = urllib.request.build_opener(_RefuseRedirects)

    def check(self, *, real_name: str, id_number: str, request_id: str | None = None) -> ProviderResult:
        """POST the request JSON; any failure becomes "error", charged only if the provider says so."""
        request_id = request_id or str(uuid.uuid4())
        body = json.dumps({"request_id": request_id, "name": real_name, "id_number": id_number},
                          ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(self.url, data=body, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8",
            "Accept": "application/json",
            "Authorization": f"Bearer {self.token}",
        })
        status = None
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                status = response.status
                raw = response.read(self.MAX_RESPONSE_BYTES + 1)
        except urllib.error.HTTPError as exc:
            status = exc.code
            try:
                raw = exc.read(self.MAX_RESPONSE_BYTES + 1)
            except OSError:
                raw = b""
            payload = _json_object(raw)
            # An HTTP error is never an answer, but a provider that billed us anyway must be recorded.
            result = ProviderResult(ERROR, _reference(payload), charged=_charged(payload, request_id))
            return self._logged(request_id, result, status=status)
        except (OSError, ValueError, http.client.HTTPException) as exc:
            # Timeouts, refused connections, TLS failures. Only the exception's class is logged:
            # its text is not ours to vouch for.
            result = ProviderResult(ERROR, "", charged=False)
            return self._logged(request_id, result, status=None, failure=type(exc).__name__)
        payload = _json_object(raw)
        if payload is None or len(raw) > self.MAX_RESPONSE_BYTES:
            return self._logged(request_id, ProviderResult(ERROR, "", charged=False), status=status, failure="malformed")
        answer = payload.get("result")
        if payload.get("request_id") != request_id or answer not in ANSWERS:
            result = ProviderResult(ERROR, _reference(payload), charged=_charged(payload, request_id))
            return self._logged(request_id, result, status=status, failure="unexpected")
        result = ProviderResult(answer, _reference(payload), charged=payload.get("charged") is True)
        return self._logged(request_id, result, status=status)

    def _logged(self, request_id: str, result: ProviderResult, *, status: int | None, failure: str = "") -> ProviderResult:
        # The request id and the verdict are enough to reconcile with the provider's bill; never the person.
        level = logging.WARNING if result.result == ERROR else logging.INFO
        logger.log(level, "idcheck http request %s: %s (charged=%s, status=%s%s)", request_id, result.result,
                   result.charged, status, f", {failure}" if failure else "")
        return result


def _is_loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host or "").is_loopback
    except ValueError:
        return False


def _json_object(raw: bytes) -> dict | None:
    try:
        payload = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return payload if isinstance(payload, dict) else None


def _charged(payload: dict | None, request_id: str) -> bool:
    # Only an explicit true about *this* request counts; an error body without request_id is trusted too,
    # because a provider that bills on failure may not echo it.
    if not payload or payload.get("charged") is not True:
        return False
    return payload.get("request_id") in (None, request_id)


def _reference(payload: dict | None) -> str:
    reference = payload.get("reference") if payload else None
    return reference[:128] if isinstance(reference, str) else ""


def get_backend() -> IdCheckBackend:
    """An instance of the provider class named by settings.IDCHECK_BACKEND."""
    backend_class = import_string(settings.IDCHECK_BACKEND)
    if not (isinstance(backend_class, type) and issubclass(backend_class, IdCheckBackend)):
        raise ImproperlyConfigured("IDCHECK_BACKEND must name a subclass of idcheck.backends.IdCheckBackend.")
    return backend_class()
