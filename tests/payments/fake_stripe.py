"""A local fake of the Stripe HTTP API, enough for FlowMart's Stripe gateway through
the real SDK: /v1/payment_intents (create+confirm, retrieve, cancel, list),
/v1/refunds (create, list), /v1/customers (create), /v1/payment_methods (retrieve,
attach: recorded in `attached`; a declining card is refused as Stripe does). Each intent's
create parameters are kept (`intent_params`), so off-session renewals can be checked.
Stripe Connect: /v1/accounts (create, retrieve), /v1/account_links (create), /v1/transfers
(create, list; `transfer_refusals` refuses the next N as Stripe does without funds);
`complete_onboarding` plays the seller finishing Stripe's onboarding.
It honours Idempotency-Key (same key → the same stored response), Stripe's
test payment-method ids, and can simulate "timed out after charging" (the request is
processed and stored, then the answer is withheld past the client's timeout) and 5xx.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlparse

CARDS = {
    "pm_card_visa": ("visa", "4242", "US", None),
    "pm_card_mastercard": ("mastercard", "4444", "US", None),
    "pm_card_gb": ("visa", "0002", "GB", None),
    "pm_card_chargeDeclined": ("visa", "0002", "US", ("card_declined", "generic_decline")),
    "pm_card_chargeDeclinedInsufficientFunds": ("visa", "9995", "US", ("card_declined", "insufficient_funds")),
    "pm_card_chargeDeclinedLostCard": ("visa", "9987", "US", ("card_declined", "lost_card")),
    "pm_card_chargeDeclinedStolenCard": ("visa", "9979", "US", ("card_declined", "stolen_card")),
    "pm_card_radarBlock": ("visa", "0019", "US", ("card_declined", "fraudulent")),
    "pm_card_authenticationRequired": ("visa", "3184", "US", "3ds"),
}


def _nest(pairs) -> dict:
    """Stripe's form encoding (a[b]=1, a[0]=x) back into dicts."""
    out: dict = {}
    for key, value in pairs:
        parts = key.replace("]", "").split("[")
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


class FakeStripe:
    def __init__(self):
        self.lock = threading.Lock()
        self.intents: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.customers: dict[str, dict] = {}
        self.accounts: dict[str, dict] = {}  # Connect accounts
        self.transfers: dict[str, dict] = {}
        self.transfer_refusals = 0  # next N transfers: 400 balance_insufficient
        self.intent_params: dict[str, dict] = {}  # intent id → the create request's params (off_session, confirm...)
        self.attached: list[tuple[str, str]] = []  # (payment method, customer) attach calls that succeeded
        self.idempotent: dict[str, tuple[int, dict]] = {}
        self.requests: list[tuple[str, str, str | None]] = []  # (method, path, idempotency key)
        self.timeouts_after_processing: dict[str, int] = {}  # path → next N POSTs: process, then withhold the answer
        self.server_errors = 0  # next N requests: 500 without processing
        self.hang_seconds = 3.0
        self._ids = itertools.count(1)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakeStripe:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_fake{next(self._ids):06d}"

    @property
    def charges(self) -> list[dict]:
        """Intents that actually moved money (what 'exactly one charge' counts)."""
        return [i for i in self.intents.values() if i["amount_received"]]

    # --- test helpers standing in for the customer / the dashboard ---
    def authenticate(self, intent_id: str) -> dict:
        intent = self.intents[intent_id]
        intent.update(status="succeeded", amount_received=intent["amount"], next_action=None)
        intent["latest_charge"] = self.new_id("ch")
        return intent

    def refund_outside(self, intent_id: str, amount: int) -> dict:
        return self._create_refund({"payment_intent": intent_id, "amount": str(amount)})[1]

    def charge(self, intent_id: str) -> dict:
        """The intent's charge as a charge.* webhook carries it, refunds so far included."""
        intent = self.intents[intent_id]
        refunds = [r for r in self.refunds.values() if r["payment_intent"] == intent_id]
        refunded = sum(r["amount"] for r in refunds)
        return {
            "id": intent["latest_charge"],
            "object": "charge",
            "payment_intent": intent_id,
            "amount": intent["amount"],
            "amount_captured": intent["amount_received"],
            "amount_refunded": refunded,
            "currency": intent["currency"],
            "refunded": refunded == intent["amount_received"],
            "refunds": {"object": "list", "data": refunds, "has_more": False},
        }

    # --- API ---
    def handle(self, method: str, path: str, params: dict, key: str | None) -> tuple[int, dict]:
        self.requests.append((method, path, key))
        parts = [p for p in path.split("/") if p][1:]  # drop "v1"
        route = (method, parts[0] if parts else "", len(parts), parts[-1] if len(parts) == 3 else None)
        with self.lock:
            if key and method == "POST" and key in self.idempotent:
                return self.idempotent[key]
            result = self._route(route, parts, params)
            if key and method == "POST":
                self.idempotent[key] = result
            return result

    def _route(self, route, parts, params) -> tuple[int, dict]:
        match route:
            case ("POST", "payment_intents", 1, _):
                return self._create_intent(params)
            case ("GET", "payment_intents", 1, _):
                return 200, self._list("/v1/payment_intents", self.intents.values(), params)
            case ("GET", "payment_intents", 2, _):
                return self._get(self.intents, parts[1])
            case ("POST", "payment_intents", 3, "cancel"):
                intent = self.intents[parts[1]]
                if intent["status"] != "succeeded":
                    intent["status"] = "canceled"
                return 200, intent
            case ("POST", "payment_intents", 3, "capture"):
                return self._capture(parts[1], params)
            case ("POST", "refunds", 1, _):
                return self._create_refund(params)
            case ("GET", "refunds", 1, _):
                return 200, self._list("/v1/refunds", self.refunds.values(), params)
            case ("POST", "customers", 1, _):
                cus = {"id": self.new_id("cus"), "object": "customer", "email": params.get("email")}
                self.customers[cus["id"]] = cus
                return 200, cus
            case ("POST", "accounts", 1, _):
                return self._create_account(params)
            case ("GET", "accounts", 2, _):
                return self._get(self.accounts, parts[1])
            case ("POST", "account_links", 1, _):
                if params.get("account") not in self.accounts:
                    return 400, _error("invalid_request_error", "resource_missing", "No such account")
                url = f"https://connect.stripe.com/setup/e/{params['account']}/{uuid.uuid4().hex[:12]}"
                return 200, {"object": "account_link", "url": url, "expires_at": int(time.time()) + 300}
            case ("POST", "transfers", 1, _):
                return self._create_transfer(params)
            case ("GET", "transfers", 1, _):
                return 200, self._list("/v1/transfers", self.transfers.values(), params)
            case ("GET", "payment_methods", 2, _):
                return self._payment_method(parts[1])
            case ("POST", "payment_methods", 3, "attach"):
                status, pm = self._payment_method(parts[1])
                if status == 200 and isinstance(CARDS[parts[1]][3], tuple):  # Stripe checks the card on attach
                    code, decline = CARDS[parts[1]][3]
                    error = {"type": "card_error", "code": code, "decline_code": decline, "message": "declined"}
                    return 402, {"error": error}
                if status == 200:
                    pm["customer"] = params.get("customer")
                    self.attached.append((parts[1], params.get("customer")))
                return status, pm
        return 404, _error("invalid_request_error", "resource_missing", f"no route {route}")

    def _create_account(self, params: dict) -> tuple[int, dict]:
        due = ["external_account", "individual.verification.document"]
        account = {
            "id": self.new_id("acct"),
            "object": "account",
            "type": params.get("type"),
            "email": params.get("email"),
            "charges_enabled": False,
            "payouts_enabled": False,
            "details_submitted": False,
            "requirements": {"currently_due": due, "past_due": [], "disabled_reason": "requirements.past_due"},
            "metadata": params.get("metadata", {}),
            "created": int(time.time()),
        }
        self.accounts[account["id"]] = account
        return 200, account

    def complete_onboarding(self, account_id: str, rejected: bool = False) -> dict:
        """The seller finished onboarding (or Stripe rejected them): what account.updated carries."""
        with self.lock:
            account = self.accounts[account_id]
            reason = "rejected.fraud" if rejected else None
            account.update(charges_enabled=not rejected, payouts_enabled=not rejected, details_submitted=True)
            account["requirements"] = {"currently_due": [], "past_due": [], "disabled_reason": reason}
            return json.loads(json.dumps(account))

    def _create_transfer(self, params: dict) -> tuple[int, dict]:
        if params.get("destination") not in self.accounts:
            return 400, _error("invalid_request_error", "resource_missing", "No such destination")
        if self.transfer_refusals > 0:
            self.transfer_refusals -= 1
            return 400, _error("invalid_request_error", "balance_insufficient", "Insufficient funds in your balance")
        transfer = {
            "id": self.new_id("tr"),
            "object": "transfer",
            "amount": int(params["amount"]),
            "currency": params["currency"],
            "destination": params["destination"],
            "metadata": params.get("metadata", {}),
            "created": int(time.time()),
        }
        self.transfers[transfer["id"]] = transfer
        return 200, transfer

    def _payment_method(self, pm_id: str) -> tuple[int, dict]:
        if pm_id not in CARDS:
            return 404, _error("invalid_request_error", "resource_missing", f"No such PaymentMethod: '{pm_id}'")
        brand, last4, country, _ = CARDS[pm_id]
        card = {"brand": brand, "last4": last4, "country": country, "fingerprint": f"fp{pm_id[-10:]}"}
        return 200, {"id": pm_id, "object": "payment_method", "type": "card", "card": card, "customer": None}

    def _create_intent(self, params: dict) -> tuple[int, dict]:
        pm = params.get("payment_method")
        intent_id = self.new_id("pi")
        intent = {
            "id": intent_id,
            "object": "payment_intent",
            "client_secret": f"{intent_id}_secret_{uuid.uuid4().hex[:24]}",  # what Stripe.js is handed
            "amount": int(params["amount"]),
            "amount_received": 0,
            "currency": params["currency"],
            "customer": params.get("customer"),
            "payment_method": pm,
            "metadata": params.get("metadata", {}),
            "status": "requires_confirmation",
            "latest_charge": None,
            "next_action": None,
            "last_payment_error": None,
            "created": int(time.time()),
        }
        self.intents[intent["id"]] = intent
        self.intent_params[intent["id"]] = dict(params)
        if params.get("confirm") != "true":
            return 200, intent
        outcome = CARDS.get(pm, (None, None, None, ("card_declined", "generic_decline")))[3]
        off_session = params.get("off_session") == "true"
        if outcome is None and params.get("capture_method") == "manual":
            intent.update(status="requires_capture", capture_method="manual")
            return 200, intent
        if outcome is None:
            intent.update(status="succeeded", amount_received=intent["amount"], latest_charge=self.new_id("ch"))
            return 200, intent
        if outcome == "3ds" and not off_session:
            url = f"https://hooks.stripe.com/3d_secure/{intent['id']}"
            action = {"type": "redirect_to_url", "redirect_to_url": {"url": url}}
            intent.update(status="requires_action", next_action=action)
            return 200, intent
        code, decline = ("authentication_required", None) if outcome == "3ds" else outcome
        error = {"type": "card_error", "code": code, "decline_code": decline, "message": "Your card was declined."}
        intent.update(status="requires_payment_method", last_payment_error=error)
        return 402, {"error": {**error, "payment_intent": dict(intent)}}

    def _capture(self, intent_id: str, params: dict) -> tuple[int, dict]:
        intent = self.intents.get(intent_id)
        if intent is None or intent["status"] != "requires_capture":
            return 400, _error("invalid_request_error", "payment_intent_unexpected_state", "not capturable")
        amount = int(params.get("amount_to_capture") or intent["amount"])
        if amount > intent["amount"]:
            return 400, _error("invalid_request_error", "amount_too_large", "amount too large")
        intent.update(status="succeeded", amount_received=amount, latest_charge=self.new_id("ch"))
        return 200, intent

    def _create_refund(self, params: dict) -> tuple[int, dict]:
        intent = self.intents.get(params.get("payment_intent"))
        if intent is None or intent["status"] != "succeeded":
            return 400, _error("invalid_request_error", "charge_not_refundable", "not refundable")
        refunded = sum(r["amount"] for r in self.refunds.values() if r["payment_intent"] == intent["id"])
        amount = int(params.get("amount") or intent["amount_received"] - refunded)
        if amount > intent["amount_received"] - refunded:
            return 400, _error("invalid_request_error", "amount_too_large", "amount too large")
        refund = {
            "id": self.new_id("re"),
            "object": "refund",
            "amount": amount,
            "currency": intent["currency"],
            "payment_intent": intent["id"],
            "charge": intent["latest_charge"],
            "status": "succeeded",
            "created": int(time.time()),
        }
        self.refunds[refund["id"]] = refund
        return 200, refund

    @staticmethod
    def _get(store: dict, obj_id: str) -> tuple[int, dict]:
        if obj_id not in store:
            return 404, _error("invalid_request_error", "resource_missing", f"No such object: '{obj_id}'")
        return 200, store[obj_id]

    @staticmethod
    def _list(url: str, items, params: dict) -> dict:
        gte = int((params.get("created") or {}).get("gte", 0))
        data = [i for i in items if i["created"] >= gte]
        return {"object": "list", "url": url, "has_more": False, "data": data}

    def _handler_class(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _serve(self, method: str):
                url = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                params = _nest(parse_qsl(body or url.query, keep_blank_values=True))
                if fake.server_errors > 0:
                    fake.server_errors -= 1
                    return self._send(500, _error("api_error", None, "simulated outage"))
                status, payload = fake.handle(method, url.path, params, self.headers.get("Idempotency-Key"))
                if method == "POST" and fake.timeouts_after_processing.get(url.path, 0) > 0:
                    fake.timeouts_after_processing[url.path] -= 1
                    time.sleep(fake.hang_seconds)  # processed and stored; the client has given up
                    return None
                return self._send(status, payload)

            def _send(self, status: int, payload: dict):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Request-Id", "req_fake")
                self.end_headers()
                with contextlib.suppress(OSError):  # the client may have given up
                    self.wfile.write(data)

            def do_GET(self):
                self._serve("GET")

            def do_POST(self):
                self._serve("POST")

            def do_DELETE(self):
                self._serve("DELETE")

        return Handler


def _error(kind: str, code: str | None, message: str) -> dict:
    return {"error": {"type": kind, "code": code, "message": message}}
