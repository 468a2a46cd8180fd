import threading

import pytest

from .fakes import CountingBackend, FakeProvider, FakeProviderHandler, FakeProviderServer, ScriptedBackend

TOKEN = "test-bearer-token"


@pytest.fixture
def counting_backend(settings):
    settings.IDCHECK_BACKEND = "idcheck.tests.fakes.CountingBackend"
    CountingBackend.reset()
    yield CountingBackend
    CountingBackend.reset()


@pytest.fixture
def scripted_backend(settings):
    settings.IDCHECK_BACKEND = "idcheck.tests.fakes.ScriptedBackend"
    ScriptedBackend.script = []
    ScriptedBackend.calls = []
    yield ScriptedBackend
    ScriptedBackend.script = []


@pytest.fixture
def fake_provider(settings, monkeypatch):
    """A JSON provider on 127.0.0.1 (a free port), wired into the IDCHECK_HTTP_* settings."""
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    server = FakeProviderServer(("127.0.0.1", 0), FakeProviderHandler)
    server.provider = FakeProvider(TOKEN)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    settings.IDCHECK_HTTP_URL = f"http://127.0.0.1:{server.server_address[1]}/v1/idcheck"
    settings.IDCHECK_HTTP_TOKEN = TOKEN
    settings.IDCHECK_HTTP_TIMEOUT_SECONDS = 2.0
    yield server.provider
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def identity_of(db):
    """Store a resident-ID identity for a new user through accounts' own service."""
    from accounts.services import identity_store
    from accounts.tests.factories import UserFactory

    def make(real_name: str, number: str, *, user=None, document_type: str = "resident_id"):
        return identity_store(user=user or UserFactory(), real_name=real_name, document_type=document_type,
                              document_number=number)

    return make
