"""Orders in the back office.

Operations see every order, and act on it from its page (cancel with a reason, full or
partial refund by amount or per line, release a dispute hold, resend one of its messages
through notifications): each action goes through
orders' services (lifecycle moves and events, as the saga does) and leaves a StaffAction
saying who, when and why. The page shows money with its symbol, the address by country
name, statuses as badges and the order's whole event story.

A seller's staff never see an order: they see the order lines of their own sellers
(orders' own SellerStaff projection), with the order's status, ship-to country and parcels,
and not the customer's other lines."""

from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from unfold.admin import ModelAdmin, TabularInline

from flowmart.common import display, roles
from flowmart.common.admin import PersonalDataAccessMixin, ReadOnlyInline, SellerScopedMixin
from flowmart.common.countries import country_name
from flowmart.contracts.orders import ORDER_MESSAGE_TYPES
from flowmart.events import story

from . import dashboard  # noqa: F401 - dashboard: registers its panels
from .admin_actions import OrderActionsMixin
from .models import Cart, CartItem, Order, OrderLine, OrderReturn, OrderShipment, OrderTimelineEntry, SellerStaff
from .services.staff import refundable
from .tax import paid_share
from .tax_admin import TaxRateAdmin, tax_breakdown  # noqa: F401 - registers the tax rates screen


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = ["sku", "name", "quantity", "price", "line_discount", "line_tax", "seller_name", "returned_quantity"]
    readonly_fields = fields

    @admin.display(description="unit price")
    def price(self, line):
        return display.money(line.unit_price, line.order.currency)

    @admin.display(description="discount")
    def line_discount(self, line):
        return display.money(line.discount, line.order.currency)

    @admin.display(description="tax")
    def line_tax(self, line):
        return display.money(line.tax, line.order.currency)


class ShipmentInline(ReadOnlyInline):
    model = OrderShipment
    fields = ["shipment_id", "status_badge", "warehouse", "carrier", "tracking_number", "updated_at"]
    readonly_fields = fields

    @admin.display(description="status")
    def status_badge(self, obj):
        return display.badge(obj.status)


class ReturnInline(ReadOnlyInline):
    model = OrderReturn
    fields = ["return_id", "status", "lines", "reason", "tracking_number", "refund_amount", "created_at"]
    readonly_fields = fields


class TimelineInline(ReadOnlyInline):
    model = OrderTimelineEntry
    fields = ["at", "event"]
    readonly_fields = fields


def _money_field(name: str, label: str):
    @admin.display(description=label)
    def show(self, order):
        return display.money(getattr(order, name), order.currency)

    return show


def _admin_link(name: str, query: str, text: str):
    """A link into another context's admin by URL name only (contexts never import each other)."""
    try:
        return format_html('<a href="{}?{}">{}</a>', reverse(name), query, text)
    except NoReverseMatch:
        return "—"


@admin.register(Order)
class OrderAdmin(PersonalDataAccessMixin, OrderActionsMixin, ModelAdmin):
    personal_data_what = "order page"  # the email and the address (docs/privacy.md)
    list_display = ["number", "customer_email", "status_badge", "payment_badge", "total_money", "created_at"]
    list_filter = ["status", "payment_status", "cancellation_reason", "shipping_method", "currency", "created_at"]
    search_fields = ["number", "customer_email"]
    date_hierarchy = "created_at"
    inlines = [OrderLineInline, ShipmentInline, ReturnInline, TimelineInline]
    show_full_result_count = False  # no COUNT(*) over every order on each page
    fieldsets = [
        (None, {"fields": ["number", "customer", "status_badge", "cancellation_reason", "payment_badge"]}),
        ("Money", {"fields": ["subtotal_money", "shipping_money", "discount_money", "tax_money", "total_money"]}),
        ("Tax", {"fields": ["channel", "prices_include_tax", "tax_breakdown"]}),
        ("Refunds", {"fields": ["refunded_money", "refundable_money", "payment_links"]}),
        ("Delivery", {"fields": ["created_at", "ship_to", "shipping_method", "shipping_carrier"]}),
        ("Staff actions", {"fields": ["staff_action_log"]}),
        ("Event story", {"fields": ["event_story"]}),
    ]
    readonly_fields = [f for section in fieldsets for f in section[1]["fields"]]

    def personal_data_customer(self, order):
        return order.customer_id

    status_badge = admin.display(description="status", ordering="status")(lambda self, o: display.badge(o.status))
    payment_badge = admin.display(description="payment", ordering="payment_status")(
        lambda self, o: display.badge(o.payment_status)
    )
    subtotal_money = _money_field("subtotal", "subtotal")
    shipping_money = _money_field("shipping", "shipping")
    discount_money = _money_field("discount", "discount")
    tax_money = _money_field("tax", "tax")
    total_money = _money_field("total", "total")
    tax_breakdown = tax_breakdown
    refunded_money = _money_field("refunded", "refunded")

    @admin.display(description="still refundable")
    def refundable_money(self, order):
        return display.money(refundable(order), order.currency)

    @admin.display(description="customer")
    def customer(self, order):
        try:
            url = reverse("admin:customers_user_change", args=[order.customer_id])
        except NoReverseMatch:
            return order.customer_email
        return format_html('<a href="{}">{} (customer page)</a>', url, order.customer_email)

    @admin.display(description="payment and fraud review")
    def payment_links(self, order):
        return format_html(
            "{} · {} · {}",
            _admin_link("admin:payments_payment_changelist", f"order_id={order.pk}", "payment"),
            _admin_link("admin:payments_paymentunderreview_changelist", f"order_id={order.pk}", "fraud review"),
            _admin_link("admin:notifications_message_changelist", f"q={order.number}", "messages"),
        )

    @admin.display(description="ship to")
    def ship_to(self, order):
        return display.address(order.shipping_address)

    @admin.display(description="who did what")
    def staff_action_log(self, order):
        rows = [
            (f"{a.at:%Y-%m-%d %H:%M}", a.staff, a.get_kind_display(), _what(a, order), a.reason)
            for a in order.staff_actions.all()[:50]
        ]
        if not rows:
            return "—"
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{} — {}: {}{} — “{}”</li>", rows))

    @admin.display(description="what happened (events, oldest first)")
    def event_story(self, order):
        lines = story.for_order(order.pk)
        if not lines:
            return "—"
        rows = (
            (
                line.depth * 16,
                f"{line.at:%Y-%m-%d %H:%M:%S}",
                line.name,
                line.publisher,
                ", ".join(f"{sub.split('.')[0]} {status}" for sub, status, _tries, _err in line.deliveries) or "no one",
            )
            for line in lines
        )
        items = format_html_join("", '<li style="margin-left:{}px">{} <b>{}</b> from {} → {}</li>', rows)
        return format_html('<ul class="fm-story">{}</ul>', items)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # read-only page; acting is done through the buttons (services)

    def has_delete_permission(self, request, obj=None):
        return False


def _what(action, order) -> str:
    """What the action was about: a refund's amount, a resend's message."""
    if action.amount is not None:
        return f" {display.money(action.amount, order.currency)}"
    message = action.detail.get("message_type")
    return f" “{dict(ORDER_MESSAGE_TYPES).get(message, message)}”" if message else ""


@admin.register(OrderLine)
class OrderLineAdmin(SellerScopedMixin, ModelAdmin):
    """The lines a seller has to fulfil, with what the order and the parcels say."""

    list_display = ["order_number", "sku", "name", "quantity", "line_total", "order_status", "ship_to_country"]
    list_display += ["seller_name", "returned_quantity"]
    list_filter = ["order__status", "order__created_at"]
    search_fields = ["sku", "name", "order__number"]
    list_select_related = ["order"]
    show_full_result_count = False
    fields = ["order_number", "sku", "name", "quantity", "line_total", "order_status", "ship_to_country"]
    fields += ["parcels", "seller_name", "returned_quantity"]
    readonly_fields = fields

    def scope_for_seller(self, request, queryset):
        return queryset.filter(seller_id__in=SellerStaff.sellers_of(request.user))

    def get_list_filter(self, request):
        if roles.is_operations(request.user):  # operations may also filter by seller
            return [*self.list_filter, "seller_name"]
        return self.list_filter

    @admin.display(description="order", ordering="order__number")
    def order_number(self, line):
        return line.order.number

    @admin.display(description="order status")
    def order_status(self, line):
        return display.badge(line.order.status)

    @admin.display(description="ship to")
    def ship_to_country(self, line):
        return country_name((line.order.shipping_address or {}).get("country", ""))

    @admin.display(description="total")
    def line_total(self, line):
        return display.money(paid_share(line.order, line).amount, line.order.currency)

    @admin.display(description="shipments and tracking")
    def parcels(self, line):
        """The parcels holding this line's SKU (never another seller's parcel of the same order)."""
        shipments = [s for s in line.order.shipments.exclude(status="voided") if line.sku in s.skus]
        rows = [(s.shipment_id, s.carrier, s.tracking_number or "—", s.status) for s in shipments]
        return format_html_join("", "<div>shipment {} · {} {} · {}</div>", rows) or "—"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CartItemInline(TabularInline):
    model = CartItem
    extra = 0
    fields = ["variant", "quantity", "added_at"]
    raw_id_fields = ["variant"]


@admin.register(Cart)
class CartAdmin(ModelAdmin):
    list_display = ["id", "customer_id", "status", "currency", "shipping_country", "shipping_method", "updated_at"]
    list_filter = ["status", "currency"]
    search_fields = ["=customer_id", "=id"]
    inlines = [CartItemInline]
