"""Commands that change shipping state, each in one transaction that publishes its events."""

from .fulfilment import (
    cancel_order,
    mark_paid,
    record_amended_lines,
    record_order,
    record_owner,
    record_release,
    record_reservation,
)
from .labels import stored_label
from .parcels import keep_sku_weights
from .rates import (
    current_revision,
    delete_rate_table_rows,
    publish_rate_table,
    save_method,
    save_zone,
    set_rate,
)
from .returns import open_return, receive_return, return_label_url
from .tracking import (
    TRANSITIONS,
    Outcome,
    TrackingUpdate,
    UnknownParcel,
    dispatch_shipment,
    record_tracking_update,
)

__all__ = [
    "TRANSITIONS",
    "Outcome",
    "TrackingUpdate",
    "UnknownParcel",
    "cancel_order",
    "current_revision",
    "delete_rate_table_rows",
    "dispatch_shipment",
    "keep_sku_weights",
    "mark_paid",
    "open_return",
    "publish_rate_table",
    "receive_return",
    "return_label_url",
    "record_amended_lines",
    "record_order",
    "record_owner",
    "record_release",
    "record_reservation",
    "record_tracking_update",
    "save_method",
    "save_zone",
    "set_rate",
    "stored_label",
]
