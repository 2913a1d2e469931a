"""A small local fake of Stripe's HTTP API, on loopback, for the Stripe gateway's tests.

It answers the few endpoints the gateway uses with the request and response shapes of Stripe's API
reference (https://docs.stripe.com/api): form-encoded bodies, Bearer auth, Idempotency-Key replays,
`{"error": {...}}` bodies with 4xx codes. It fakes only what lies outside: the official SDK talks to it
over real HTTP, exactly as it talks to api.stripe.com.
"""

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit


class FakeStripe:
    def __init__(self, secret_key: str = "sk_test_fake"):
        self.secret_key = secret_key
        self.sessions: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.requests: list[tuple[str, str, dict, dict]] = []  # method, path, params, headers
        self._replays: dict[str, tuple[int, dict]] = {}
        self._lock = threading.Lock()
        self._n = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def _id(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}_test_{self._n:06d}"

    # --- What happens on Stripe's side (the shopper on Stripe's page, Stripe's own clock) -------------

    def complete(self, session_id: str, *, paid: bool = True) -> dict:
        """The shopper paid on Stripe's hosted page."""
        session = self.sessions[session_id]
        session.update(
            status="complete",
            payment_status="paid" if paid else "unpaid",
            payment_intent=self._id("pi"),
        )
        session["amount_received"] = session["amount_total"] if paid else 0
        return session

    def event(self, kind: str, session_id: str, **overrides) -> dict:
        obj = {**self.sessions[session_id], **overrides}
        return {
            "id": self._id("evt"),
            "object": "event",
            "api_version": "2025-01-27.acacia",
            "created": int(time.time()),
            "livemode": False,
            "type": kind,
            "data": {"object": obj},
        }

    # --- The API --------------------------------------------------------------------------------------

    def handle(self, method: str, path: str, params: dict, headers: dict) -> tuple[int, dict]:
        self.requests.append((method, path, params, headers))
        if headers.get("Authorization") != f"Bearer {self.secret_key}":
            return 401, error("invalid_request_error", "Invalid API Key provided.")
        key = headers.get("Idempotency-Key")
        with self._lock:
            if method == "POST" and key and (method, path, key) in self._replays:
                return self._replays[(method, path, key)]
            answer = self._route(method, path, params)
            if method == "POST" and key:
                self._replays[(method, path, key)] = answer
            return answer

    def _route(self, method: str, path: str, params: dict) -> tuple[int, dict]:
        parts = path.strip("/").split("/")
        if method == "POST" and parts == ["v1", "checkout", "sessions"]:
            return self._session_create(params)
        if parts[:3] == ["v1", "checkout", "sessions"] and len(parts) >= 4:
            session = self.sessions.get(parts[3])
            if session is None:
                return 404, error(
                    "invalid_request_error", f"No such checkout.session: '{parts[3]}'", "resource_missing"
                )
            if method == "GET" and len(parts) == 4:
                return 200, session
            if method == "POST" and parts[4:] == ["expire"]:
                if session["status"] != "open":
                    return 400, error(
                        "invalid_request_error", 'Only Checkout Sessions with a status in ["open"] can be expired.'
                    )
                session["status"] = "expired"
                return 200, session
        if method == "POST" and parts == ["v1", "refunds"]:
            return self._refund_create(params)
        return 404, error("invalid_request_error", f"Unrecognized request URL ({method}: {path}).")

    def _session_create(self, params: dict) -> tuple[int, dict]:
        for required in ("mode", "success_url", "line_items[0][price_data][unit_amount]"):
            if required not in params:
                return 400, error("invalid_request_error", f"Missing required param: {required}.", param=required)
        unit = int(params["line_items[0][price_data][unit_amount]"])
        quantity = int(params.get("line_items[0][quantity]", "1"))
        session_id = self._id("cs")
        session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": params["mode"],
            "status": "open",
            "payment_status": "unpaid",
            "amount_total": unit * quantity,
            "amount_subtotal": unit * quantity,
            "currency": params["line_items[0][price_data][currency]"],
            "client_reference_id": params.get("client_reference_id"),
            "metadata": {k[9:-1]: v for k, v in params.items() if k.startswith("metadata[")},
            "payment_intent": None,
            "success_url": params["success_url"],
            "cancel_url": params.get("cancel_url"),
            "url": f"https://checkout.stripe.com/c/pay/{session_id}",
            "livemode": False,
        }
        self.sessions[session_id] = session
        return 200, session

    def _refund_create(self, params: dict) -> tuple[int, dict]:
        intent = params.get("payment_intent")
        session = next((s for s in self.sessions.values() if s["payment_intent"] == intent and intent), None)
        if session is None:
            return 404, error("invalid_request_error", f"No such payment_intent: '{intent}'", "resource_missing")
        amount = int(params.get("amount") or session["amount_received"])
        refunded = sum(r["amount"] for r in self.refunds.values() if r["payment_intent"] == intent)
        if refunded + amount > session["amount_received"]:
            left = session["amount_received"] - refunded
            message = f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left})"
            return 400, error("invalid_request_error", message, "amount_too_large")
        refund = {
            "id": self._id("re"),
            "object": "refund",
            "amount": amount,
            "currency": session["currency"],
            "payment_intent": intent,
            "status": "succeeded",
            "metadata": {k[9:-1]: v for k, v in params.items() if k.startswith("metadata[")},
        }
        self.refunds[refund["id"]] = refund
        return 200, refund

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, method):
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else url.query
                status, payload = fake.handle(method, url.path, dict(parse_qsl(body)), dict(self.headers))
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Request-Id", f"req_{fake._n}")
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                self._answer("GET")

            def do_POST(self):
                self._answer("POST")

            def log_message(self, *args):
                pass

        return Handler


def error(kind: str, message: str, code: str | None = None, param: str | None = None) -> dict:
    body = {"type": kind, "message": message}
    if code:
        body["code"] = code
    if param:
        body["param"] = param
    return {"error": body}


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """A Stripe-Signature header as Stripe computes it: HMAC-SHA256 of "t.payload" with the endpoint secret."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"
