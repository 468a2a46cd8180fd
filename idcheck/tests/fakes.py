"""Test doubles: providers that count, stall, raise or follow a script; a loopback HTTP provider."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from stdnum.cn import ric

from accounts.services import identity_fingerprint
from idcheck.backends import IdCheckBackend, ProviderResult, SandboxBackend


def valid_number(sequence: int, *, base: str = "12010119800101") -> str:
    """A resident ID number that passes stdnum, with the given 3-digit sequence code."""
    body = f"{base}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")


def fingerprint_of(number: str) -> str:
    return identity_fingerprint(document_type="resident_id", normalised_number=number)


class CountingBackend(SandboxBackend):
    """The sandbox, counting calls (thread-safe) and optionally slow, to widen race windows."""

    name = "counting"
    calls: list[dict] = []
    delay = 0.0
    _lock = threading.Lock()

    @classmethod
    def reset(cls, *, delay: float = 0.0):
        cls.calls = []
        cls.delay = delay

    def check(self, *, real_name, id_number, request_id=None):
        with self._lock:
            self.calls.append({"request_id": request_id, "id_number": id_number})
        if self.delay:
            time.sleep(self.delay)
        return super().check(real_name=real_name, id_number=id_number, request_id=request_id)


class ScriptedBackend(IdCheckBackend):
    """Answers from a queue of ProviderResults, one per call."""

    name = "scripted"
    script: list[ProviderResult] = []
    calls: list[str | None] = []

    def check(self, *, real_name, id_number, request_id=None):
        self.calls.append(request_id)
        return self.script.pop(0)


class RaisingBackend(IdCheckBackend):
    """A broken provider whose exception text quotes what it was given."""

    name = "raising"

    def check(self, *, real_name, id_number, request_id=None):
        raise RuntimeError(f"cannot check {real_name} {id_number}")


class FakeProvider:
    """State of the loopback provider: what it answers and what it received."""

    def __init__(self, token: str):
        self.token = token
        self.mode = "answer"
        self.answer = "match"
        self.delay = 0.0
        self.requests: list[dict] = []

    def respond(self, handler: "FakeProviderHandler", payload: dict | None):
        if handler.headers.get("Authorization") != f"Bearer {self.token}":
            return 401, {"error": "unauthorized"}
        request_id = (payload or {}).get("request_id")
        if self.mode == "sleep":
            time.sleep(self.delay)
            return 200, {"request_id": request_id, "result": self.answer, "reference": "late", "charged": True}
        if self.mode == "500":
            return 500, {"error": "upstream failure"}
        if self.mode == "500-charged":
            return 500, {"request_id": request_id, "error": "upstream failure", "charged": True}
        if self.mode == "malformed":
            return 200, b'{"result": "match", '
        if self.mode == "not-an-object":
            return 200, ["match"]
        if self.mode == "other-request-id":
            return 200, {"request_id": "00000000-0000-0000-0000-000000000000", "result": "match", "charged": True}
        if self.mode == "unknown-result":
            return 200, {"request_id": request_id, "result": "probably", "charged": False}
        if self.mode == "redirect":
            return 302, None
        return 200, {"request_id": request_id, "result": self.answer, "reference": f"GOV-{len(self.requests)}",
                     "charged": True}


class FakeProviderHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        provider: FakeProvider = self.server.provider
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            payload = json.loads(raw.decode("utf-8"))
        except ValueError:
            payload = None
        provider.requests.append({"path": self.path, "headers": dict(self.headers.items()), "raw": raw, "json": payload})
        status, body = provider.respond(self, payload)
        self.send_response(status)
        if status == 302:
            self.send_header("Location", "/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):
        pass


class FakeProviderServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # The timeout test hangs up on a sleeping handler: its broken pipe is expected.
        pass
