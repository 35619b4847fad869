"""The admin sidebar per role (django-unfold's SIDEBAR setting): operations get every screen
they run, seller staff the screens of their own sellers, in the order they work. Links are
URL names, so the shared kernel still imports no context."""

from django.urls import reverse_lazy

from . import roles


def operations(request) -> bool:
    return roles.is_operations(request.user)


def seller_staff(request) -> bool:
    return roles.is_seller_staff(request.user)


def staff(request) -> bool:
    return roles.is_staff_member(request.user)


def superuser(request) -> bool:
    return request.user.is_superuser


def _item(title: str, icon: str, url_name: str, who=operations) -> dict:
    return {"title": title, "icon": icon, "link": reverse_lazy(url_name), "permission": who}


def _both(title: str, icon: str, url_name: str) -> dict:
    return _item(title, icon, url_name, who=staff)


NAVIGATION = [
    {"title": "Overview", "items": [_both("Dashboard", "dashboard", "admin:index")]},
    {
        "title": "Sales",
        "items": [
            _item("Orders", "shopping_bag", "admin:orders_order_changelist"),
            _both("Order lines", "list_alt", "admin:orders_orderline_changelist"),
            _item("Customers", "group", "admin:customers_user_changelist"),
            _item("Messages", "mail", "admin:notifications_message_changelist"),
        ],
    },
    {
        "title": "Payments",
        "items": [
            _item("Payments", "payments", "admin:payments_payment_changelist"),
            _item("Fraud review", "gpp_maybe", "admin:payments_paymentunderreview_changelist"),
            _item("Refunds", "undo", "admin:payments_refund_changelist"),
            _both("Invoices", "description", "admin:billing_invoice_changelist"),
            _both("Credit notes", "request_quote", "admin:billing_creditnote_changelist"),
            _both("Seller accounts", "account_balance", "admin:payments_selleraccount_changelist"),
            _both("Payouts", "payments", "admin:payments_payout_changelist"),
            _item("KYC decisions", "verified_user", "admin:payments_kycdecision_changelist"),
            _item("Tax rates", "percent", "admin:orders_taxrate_changelist"),
        ],
    },
    {
        "title": "Promotions",
        "items": [
            _both("Sales", "sell", "admin:promotions_sale_changelist"),
            _both("Lightning deals", "bolt", "admin:promotions_lightningdeal_changelist"),
            _both("Vouchers", "confirmation_number", "admin:promotions_voucher_changelist"),
        ],
    },
    {
        "title": "Catalogue and stock",
        "items": [
            _both("Products", "inventory_2", "admin:catalog_product_changelist"),
            _both("Variants", "style", "admin:catalog_variant_changelist"),
            _both("Reviews", "reviews", "admin:reviews_review_changelist"),
            _item("Sellers", "storefront", "admin:catalog_seller_changelist"),
            _both("Stock", "warehouse", "admin:inventory_stocklevel_changelist"),
            _both("Stock ledger", "receipt_long", "admin:inventory_stockmovement_changelist"),
            _both("Reservations", "lock_clock", "admin:inventory_reservation_changelist"),
        ],
    },
    {
        "title": "Fulfilment",
        "items": [
            _both("Shipments", "local_shipping", "admin:shipping_shipment_changelist"),
            _both("Returns", "assignment_return", "admin:shipping_return_changelist"),
        ],
    },
    {
        "title": "Platform",
        "items": [
            _item("Event deliveries", "sync_alt", "admin:events_delivery_changelist"),
            _item(
                "Staff access to personal data", "visibility", "admin:customers_staffaccessrecord_changelist", superuser
            ),
        ],
    },
]


def sidebar(request) -> list[dict]:
    """SIDEBAR["navigation"]: the groups with at least one item the user may open."""
    return [group for group in NAVIGATION if any(item["permission"](request) for item in group["items"])]
