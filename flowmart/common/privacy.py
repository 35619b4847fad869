"""Privacy through dependency inversion: the shared kernel holds the registries, each context
fills them for its own data from its AppConfig.ready(), and nobody imports anybody.

- exporters: `(customer_id, email) -> dict` of one context's data about one customer. The
  customers context answers `GET /api/v1/me/export/` by calling every registered exporter.
  What an exporter returns must be JSON-ready and hold no secrets (card data, tokens,
  password hashes, sealed values): it is handed to the customer as it is.
- erasure blockers: `(customer_id) -> list[str]` of reasons an erasure must wait (e.g. an
  order still in flight); customers refuses the erasure with 409 while any context names one.
- the staff-access recorder: one function (customers registers it) that stores who looked at
  whose personal data in the admin; every context's admin reaches it through
  `record_staff_access` (and `flowmart.common.admin.PersonalDataAccessMixin`).

Erased values are recognisable everywhere without a lookup: `erased_email(id)` ends in
ERASED_DOMAIN, so a context that still holds it (e.g. in an event published after the
erasure) knows not to write to it.
"""

import hashlib
import logging
from collections.abc import Callable

from django.conf import settings

logger = logging.getLogger("flowmart.privacy")

Exporter = Callable[[int, str], dict]
Blocker = Callable[[int], list[str]]
Recorder = Callable[..., None]

ERASED_DOMAIN = "erased.invalid"  # .invalid is reserved (RFC 2606): mail to it never leaves
ERASED_NAME = "(erased)"

_exporters: dict[str, Exporter] = {}
_blockers: dict[str, Blocker] = {}
_recorder: list[Recorder] = []


def register_exporter(context: str, exporter: Exporter) -> None:
    """One exporter per context (registering again replaces it, so ready() may run twice)."""
    _exporters[context] = exporter


def register_erasure_blocker(context: str, blocker: Blocker) -> None:
    _blockers[context] = blocker


def register_access_recorder(recorder: Recorder) -> None:
    _recorder[:] = [recorder]


def exporters() -> dict[str, Exporter]:
    return dict(_exporters)


def export_customer(customer_id: int, email: str) -> dict:
    """Every context's part, keyed by context name, in a stable order."""
    return {context: _exporters[context](customer_id, email) for context in sorted(_exporters)}


def erasure_blockers(customer_id: int) -> dict[str, list[str]]:
    """{context: [reason, ...]} for every context that says the erasure must wait."""
    found = {context: blocker(customer_id) for context, blocker in sorted(_blockers.items())}
    return {context: reasons for context, reasons in found.items() if reasons}


def record_staff_access(*, staff, customer_id: int | None, context: str, what: str, object_ref: str = "") -> None:
    """Store that `staff` saw `what` (a page, an export) about `customer_id`. Without a recorder
    (customers not installed) the access is logged, never silently dropped."""
    if not _recorder:
        logger.warning("staff access not recorded (no recorder): %s %s %s", staff, context, what)
        return
    _recorder[0](staff=staff, customer_id=customer_id, context=context, what=what, object_ref=object_ref)


def email_hash(email: str) -> str:
    """What the erasure event carries instead of the email: a keyed hash, so a context holding
    copies keyed by email alone can find them, while the outbox keeps no address."""
    secret = settings.SEALING_KEY or settings.SECRET_KEY
    return hashlib.sha256(f"flowmart.privacy:{secret}:{(email or '').strip().lower()}".encode()).hexdigest()


def erased_email(customer_id: int) -> str:
    return f"erased-{customer_id}@{ERASED_DOMAIN}"


def is_erased_email(email: str) -> bool:
    return (email or "").lower().endswith("@" + ERASED_DOMAIN)


def anonymise_address(address: dict | None) -> dict:
    """An address with the person taken out: the country stays (tax and accounting need it),
    everything that locates or names someone goes."""
    address = address or {}
    return {
        "name": ERASED_NAME,
        "line1": "",
        "line2": "",
        "city": "",
        "postal_code": "",
        "country": address.get("country", ""),
        "phone": "",
    }
