"""A real HTTP receiver on loopback, started by the test, and settings that allow delivering to it."""
import http.server
import threading
import time
from dataclasses import dataclass, field

import pytest


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes


@dataclass
class Receiver:
    """Records every POST; answers with the queued statuses in turn, then `default_status`."""

    port: int = 0
    requests: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    default_status: int = 200
    delay_seconds: float = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.requests) >= count, f"received {len(self.requests)} of {count} deliveries"
        return self.requests


def _handler(receiver: Receiver):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            receiver.requests.append(Received(self.path, {k: v for k, v in self.headers.items()}, body))
            time.sleep(receiver.delay_seconds)
            status = receiver.statuses.pop(0) if receiver.statuses else receiver.default_status
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(f"status {status}".encode())

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture
def receiver():
    state = Receiver()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _deliverable_loopback(settings):
    """The operator setting that lets the tests' receiver on 127.0.0.1 (plain http) get deliveries."""
    settings.REGISTRY_WEBHOOK_ALLOWED_SCHEMES = ["http", "https"]
    settings.REGISTRY_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.REGISTRY_WEBHOOK_BACKOFF_SECONDS = 0.05
    settings.REGISTRY_WEBHOOK_MAX_ATTEMPTS = 3
    settings.REGISTRY_WEBHOOK_TIMEOUT_SECONDS = 2
