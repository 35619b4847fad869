"""A local fake of the EasyPost HTTP API (v2), enough for FlowMart's EasyPost carrier through
the official SDK: POST /v2/shipments (rates for the parcel), POST /v2/shipments/{id}/buy
(tracking code, PDF label URL, tracker), GET /v2/trackers/{id}, and the label files. It
checks the Bearer API key, records every request, and signs webhook bodies the way EasyPost
does (`X-Hmac-Signature: hmac-sha256-hex=<hex>` over the raw body)."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

API_KEY = "EZTK-fake-test-key-7c1d"
WEBHOOK_SECRET = "ep-webhook-secret-3b9e"
LABEL_PDF = b"%PDF-1.4\n% FlowMart fake EasyPost label\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
OFFERS = [("USPS", "Priority", "7.58"), ("USPS", "GroundAdvantage", "5.20"), ("UPS", "Ground", "9.10")]


class FakeEasyPost:
    def __init__(self):
        self.lock = threading.Lock()
        self.shipments: dict[str, dict] = {}
        self.trackers: dict[str, dict] = {}
        self.requests: list[tuple[str, str, dict]] = []  # (method, path, json body)
        self._ids = itertools.count(1)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def settings(self) -> dict:
        return {
            "API_KEY": API_KEY,
            "API_BASE": f"{self.url}/v2",
            "WEBHOOK_SECRET": WEBHOOK_SECRET,
            "TIMEOUT_SECONDS": 5,
            "FROM_ADDRESSES": {"US-EAST": {"company": "FlowMart Newark", "street1": "1 Dock Rd", "city": "Newark",
                                           "state": "NJ", "zip": "07102", "country": "US"}},
        }  # fmt: skip

    def start(self) -> FakeEasyPost:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- what the tests send as EasyPost -------------------------------------------------

    def tracker_event(self, tracking_code: str, status: str, *, city="", message="", at="2030-01-02T10:00:00Z"):
        """(body, headers) of a signed `tracker.updated` webhook for one of our parcels."""
        tracker = next(t for t in self.trackers.values() if t["tracking_code"] == tracking_code)
        with self.lock:
            tracker["status"] = status
            tracker["tracking_details"].append(
                {"object": "TrackingDetail", "status": status, "message": message, "datetime": at,
                 "tracking_location": {"city": city, "state": "NJ" if city else None, "country": "US"}}
            )  # fmt: skip
        body = json.dumps(
            {"id": f"evt_{next(self._ids)}", "object": "Event", "description": "tracker.updated", "result": tracker}
        ).encode()
        return body, {"HTTP_X_HMAC_SIGNATURE": sign(WEBHOOK_SECRET, body)}

    # --- the HTTP API ---------------------------------------------------------------------

    def _create_shipment(self, body: dict) -> tuple[int, dict]:
        params = body.get("shipment") or {}
        if not params.get("to_address") or not (params.get("parcel") or {}).get("weight"):
            return 422, {"error": {"code": "SHIPMENT.INVALID_PARAMS", "message": "to_address and parcel required"}}
        shipment_id = f"shp_{next(self._ids)}"
        rates = [
            {"id": f"rate_{next(self._ids)}", "object": "Rate", "carrier": carrier, "service": service, "rate": price,
             "currency": "USD", "shipment_id": shipment_id}
            for carrier, service, price in OFFERS
        ]  # fmt: skip
        shipment = {"id": shipment_id, "object": "Shipment", **params, "rates": rates, "tracking_code": None}
        self.shipments[shipment_id] = shipment
        return 201, shipment

    def _buy(self, shipment_id: str, body: dict) -> tuple[int, dict]:
        shipment = self.shipments.get(shipment_id)
        if shipment is None:
            return 404, {"error": {"code": "NOT_FOUND", "message": "The requested resource could not be found."}}
        rate = next((r for r in shipment["rates"] if r["id"] == (body.get("rate") or {}).get("id")), None)
        if rate is None:
            return 422, {"error": {"code": "SHIPMENT.RATE.INVALID", "message": "rate not on this shipment"}}
        code = f"9400{next(self._ids):018d}"
        tracker_id = f"trk_{next(self._ids)}"
        tracker = {"id": tracker_id, "object": "Tracker", "tracking_code": code, "status": "pre_transit",
                   "carrier": rate["carrier"], "public_url": f"https://track.easypost.com/{tracker_id}",
                   "tracking_details": [], "shipment_id": shipment_id}  # fmt: skip
        self.trackers[tracker_id] = tracker
        shipment.update(
            tracking_code=code,
            selected_rate=rate,
            postage_label={"object": "PostageLabel", "label_url": f"{self.url}/files/{shipment_id}.pdf"},
            tracker=tracker,
        )
        return 200, shipment

    def _route(self, method: str, path: str, body: dict) -> tuple[int, dict]:
        parts = path.strip("/").split("/")
        with self.lock:
            if method == "POST" and parts == ["v2", "shipments"]:
                return self._create_shipment(body)
            if method == "POST" and len(parts) == 4 and parts[:2] == ["v2", "shipments"] and parts[3] == "buy":
                return self._buy(parts[2], body)
            if method == "GET" and len(parts) == 3 and parts[:2] == ["v2", "trackers"] and parts[2] in self.trackers:
                return 200, self.trackers[parts[2]]
        return 404, {"error": {"code": "NOT_FOUND", "message": "The requested resource could not be found."}}

    def _handler_class(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, status: int, payload: bytes, content_type="application/json"):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _serve(self, method: str):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}") if length else {}
                fake.requests.append((method, self.path, body))
                if self.path.startswith("/files/"):  # label files are public URLs, no key
                    return self._answer(200, LABEL_PDF, "application/pdf")
                if self.headers.get("Authorization") != f"Bearer {API_KEY}":
                    error = {"error": {"code": "APIKEY.INACTIVE", "message": "This api key is no longer active."}}
                    return self._answer(401, json.dumps(error).encode())
                status, answer = fake._route(method, self.path.split("?")[0], body)
                return self._answer(status, json.dumps(answer).encode())

            def do_GET(self):
                self._serve("GET")

            def do_POST(self):
                self._serve("POST")

        return Handler


def sign(secret: str, body: bytes) -> str:
    return "hmac-sha256-hex=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
