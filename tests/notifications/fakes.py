"""Local stand-ins for the providers, started by the tests on loopback with free ports:

- SmtpServer: a real SMTP server (aiosmtpd) with AUTH; keeps every message it accepted and
  can answer 451 (try later) or 550 (no such user) on demand.
- FakeTwilio: Twilio's Messages REST resource, as the official SDK calls it.
- FakePushService: a Web Push service; checks the VAPID header and decrypts the payload
  (RFC 8291, aes128gcm) with the subscription's private key, as a browser would.
"""

from __future__ import annotations

import base64
import email
import email.policy
import itertools
import json
import logging
import os
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import http_ece
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# --- SMTP ---------------------------------------------------------------------------------


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.raw, policy=email.policy.default)

    def header(self, name: str) -> str:
        # Django folds long or encoded headers onto a continuation line; unfolded, they keep a leading space.
        value = self.message[name]
        return str(value).strip() if value is not None else ""

    @property
    def subject(self) -> str:
        return self.header("Subject")

    def part(self, content_type: str) -> str:
        for part in self.message.walk():
            if part.get_content_type() == content_type:
                return part.get_content().replace("\r\n", "\n")
        raise AssertionError(f"no {content_type} part")


class SmtpServer:
    USER, PASSWORD = "flowmart-mailer", "smtp-Secret-9f3a1c"

    def __init__(self):
        logging.getLogger("mail.log").setLevel(logging.ERROR)  # aiosmtpd's own chatter
        self.received: list[Received] = []
        self.temporary_failures = 0  # the next N messages get 451
        self.refuse = set()  # recipients answered 550
        self.lock = threading.Lock()
        self.port = free_port()
        self.controller = Controller(
            self,
            hostname="127.0.0.1",
            port=self.port,
            authenticator=self._authenticate,
            auth_require_tls=False,  # loopback only
        )

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            self.USER.encode(),
            self.PASSWORD.encode(),
        )
        return AuthResult(success=ok)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd hook
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook
        with self.lock:
            if self.temporary_failures > 0:
                self.temporary_failures -= 1
                return "451 4.3.0 Try again later"
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.rcpt_tos]

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def env(self) -> dict:
        """Environment for a worker process: SMTP with AUTH through EMAIL_URL."""
        return {"EMAIL_URL": f"smtp://{self.USER}:{self.PASSWORD}@127.0.0.1:{self.port}"}

    def settings(self) -> dict:
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": self.port,
            "EMAIL_HOST_USER": self.USER,
            "EMAIL_HOST_PASSWORD": self.PASSWORD,
            "EMAIL_USE_TLS": False,
            "EMAIL_USE_SSL": False,
        }


# --- HTTP fakes -----------------------------------------------------------------------------


class _HttpFake:
    def __init__(self):
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self):
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, payload, headers = fake.handle(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                data = json.dumps(payload).encode() if payload is not None else b""
                self.send_response(status)
                for key, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def handle(self, path: str, headers: dict, body: bytes):
        """(status, JSON payload or None, extra headers); header names arrive lower-cased."""
        raise NotImplementedError


class FakeTwilio(_HttpFake):
    ACCOUNT_SID, AUTH_TOKEN, FROM = "AC" + "f" * 32, "twilio-Secret-77e1b2", "+15005550006"
    INVALID_PREFIX = "+1999"  # numbers Twilio refuses (error 21211)

    def __init__(self):
        super().__init__()
        self.messages: list[dict] = []
        self.server_errors = 0  # the next N requests get 503
        self._sids = itertools.count(1)

    def handle(self, path, headers, body):
        expected = "Basic " + base64.b64encode(f"{self.ACCOUNT_SID}:{self.AUTH_TOKEN}".encode()).decode()
        if headers.get("authorization") != expected:
            return 401, {"code": 20003, "message": "Authenticate", "status": 401}, {}
        if path != f"/2010-04-01/Accounts/{self.ACCOUNT_SID}/Messages.json":
            return 404, {"code": 20404, "message": "Not found", "status": 404}, {}
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        with self.lock:
            if self.server_errors > 0:
                self.server_errors -= 1
                return 503, {"code": 20500, "message": "Service unavailable", "status": 503}, {}
            if form["To"].startswith(self.INVALID_PREFIX):
                return 400, {"code": 21211, "message": f"The 'To' number {form['To']} is not valid.", "status": 400}, {}
            sid = f"SM{next(self._sids):032x}"
            self.messages.append({"sid": sid, **form})
        return (
            201,
            {"sid": sid, "status": "queued", "to": form["To"], "from": form.get("From"), "body": form["Body"]},
            {},
        )

    def env(self) -> dict:
        return {
            "TWILIO_ACCOUNT_SID": self.ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": self.AUTH_TOKEN,
            "TWILIO_FROM_NUMBER": self.FROM,
            "TWILIO_API_BASE": self.url,
        }

    def settings(self) -> dict:
        return {
            "ACCOUNT_SID": self.ACCOUNT_SID,
            "AUTH_TOKEN": self.AUTH_TOKEN,
            "FROM_NUMBER": self.FROM,
            "MESSAGING_SERVICE_SID": "",
            "API_BASE": self.url,
            "TIMEOUT_SECONDS": 5.0,
        }


@dataclass
class Browser:
    """A browser's push subscription: its key pair and auth secret, as the Push API makes them."""

    endpoint: str
    private_key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    def subscription_json(self) -> dict:
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {"endpoint": self.endpoint, "keys": {"p256dh": b64url(point), "auth": b64url(self.auth)}}


class FakePushService(_HttpFake):
    def __init__(self, vapid_public_key: str):
        super().__init__()
        self.vapid_public_key = vapid_public_key
        self.browsers: dict[str, Browser] = {}
        self.delivered: list[dict] = []  # {"endpoint", "payload" (decrypted JSON), "ttl", "urgency"}
        self.gone = set()  # endpoints answered 410
        self.server_errors = 0
        self._ids = itertools.count(1)

    def new_browser(self) -> Browser:
        browser = Browser(endpoint=f"{self.url}/push/{next(self._ids)}")
        self.browsers[browser.endpoint] = browser
        return browser

    def handle(self, path, headers, body):
        endpoint = self.url + path
        with self.lock:
            if self.server_errors > 0:
                self.server_errors -= 1
                return 503, None, {}
        if endpoint in self.gone:
            return 410, None, {}
        browser = self.browsers.get(endpoint)
        if browser is None:
            return 404, None, {}
        auth = headers.get("authorization", "")
        if not auth.startswith("vapid t=") or f"k={self.vapid_public_key}" not in auth:
            return 401, None, {}
        if headers.get("content-encoding") != "aes128gcm":
            return 415, None, {}
        plain = http_ece.decrypt(body, private_key=browser.private_key, auth_secret=browser.auth, version="aes128gcm")
        with self.lock:
            self.delivered.append({"endpoint": endpoint, "payload": json.loads(plain), "ttl": headers.get("ttl")})
        return 201, None, {"Location": f"{endpoint}/messages/{len(self.delivered)}"}

    def env(self, private_key: str) -> dict:
        return {
            "WEBPUSH_VAPID_PRIVATE_KEY": private_key,
            "WEBPUSH_VAPID_SUBJECT": "mailto:ops@flowmart.example",
            "WEBPUSH_ALLOWED_HOSTS": "127.0.0.1",
            "WEBPUSH_REQUIRE_HTTPS": "0",
        }

    def settings(self, private_key: str) -> dict:
        return {
            "VAPID_PRIVATE_KEY": private_key,
            "VAPID_SUBJECT": "mailto:ops@flowmart.example",
            "ALLOWED_HOSTS": ["127.0.0.1"],
            "REQUIRE_HTTPS": False,
            "TIMEOUT_SECONDS": 5.0,
            "TTL_SECONDS": 3600,
        }


class FakePostmark(_HttpFake):
    """Postmark's /email endpoint, as django-anymail's postmark backend calls it."""

    TOKEN = "postmark-Secret-5d1e"
    INACTIVE = "bounced@example.com"  # Postmark refuses it: error 406, inactive recipient

    def __init__(self):
        super().__init__()
        self.sent: list[dict] = []

    def handle(self, path, headers, body):
        if headers.get("x-postmark-server-token") != self.TOKEN:
            return 401, {"ErrorCode": 10, "Message": "Bad or missing Server API token."}, {}
        data = json.loads(body)
        if data["To"] == self.INACTIVE:
            message = (
                "You tried to send to recipient(s) that have been marked as inactive. "
                f"Found inactive addresses: {self.INACTIVE}. "
                "Inactive recipients are ones that have generated a hard bounce."
            )
            return 422, {"ErrorCode": 406, "Message": message}, {}
        message_id = f"pm-{len(self.sent) + 1:04d}"
        with self.lock:
            self.sent.append({**data, "MessageID": message_id})
        return (
            200,
            {
                "To": data["To"],
                "SubmittedAt": "2030-01-01T00:00:00Z",
                "MessageID": message_id,
                "ErrorCode": 0,
                "Message": "OK",
            },
            {},
        )
