"""Request and response shapes of carts, checkout and orders (see shared API.md)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from flowmart.common.money import Money
from flowmart.common.serializers import MoneyField, money_body
from flowmart.contracts.common import AddressSerializer, validate_country, validate_region
from flowmart.contracts.payments import PaymentSerializer

from .. import promotions, selectors, tax
from ..models import (
    CartItem,
    Order,
    OrderLine,
    OrderReturn,
    OrderShipment,
    OrderTimelineEntry,
    OrderTrackingEvent,
)
from .order_body import order_body
from .tax_fields import TaxLineSerializer
from .vouchers import CartVoucherSerializer


# --- carts ------------------------------------------------------------------
class CartItemSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="variant_id")
    name = serializers.CharField(source="variant.name")
    unit_price = serializers.SerializerMethodField(help_text="what is paid per unit (the sale or deal price)")
    original_unit_price = serializers.SerializerMethodField(help_text="the regular price when on sale; else null")
    sale = serializers.SerializerMethodField(help_text="the sale or lightning deal setting unit_price; else null")
    line_total = serializers.SerializerMethodField()
    available = serializers.SerializerMethodField(help_text="units of this SKU that can be sold right now")
    warning = serializers.SerializerMethodField(
        help_text="set when the line holds more than can be sold (checkout would answer 409 insufficient_stock)"
    )

    class Meta:
        model = CartItem
        fields = [
            "id",
            "sku",
            "name",
            "quantity",
            "unit_price",
            "original_unit_price",
            "sale",
            "line_total",
            "available",
            "warning",
        ]

    def _priced(self, item):
        return item if hasattr(item, "unit_price") else promotions.price_items([item])[0]

    def get_unit_price(self, item) -> dict:
        return money_body(self._priced(item).unit_price)

    def get_original_unit_price(self, item) -> dict | None:
        original = self._priced(item).original_unit_price
        return None if original is None else money_body(original)

    def get_sale(self, item) -> dict | None:
        return self._priced(item).sale

    def get_line_total(self, item) -> dict:
        return money_body(self._priced(item).unit_price * item.quantity)

    def _available(self, item) -> int:
        known = self.context.get("available")  # the whole cart's, read once (views.cart_body)
        if known is None or item.variant_id not in known:
            return selectors.availability([item.variant_id])[item.variant_id]
        return known[item.variant_id]

    def get_available(self, item) -> int:
        return self._available(item)

    def get_warning(self, item) -> str | None:
        if getattr(item, "currency_problem", None):  # orders.currencies.quote_items
            return item.currency_problem
        available = self._available(item)
        if item.quantity <= available:
            return None
        return f"Only {available} can be sold right now." if available else "Sold out."


class TotalsSerializer(serializers.Serializer):
    """Documents the totals object: every value is Money."""

    subtotal = MoneyField()
    shipping = MoneyField()
    discount = MoneyField()
    tax = MoneyField()
    total = MoneyField()


class CartLineSerializer(CartItemSerializer):
    """Documents a line of the cart body: the item plus its tax (api/tax_fields.py)."""

    tax = MoneyField(help_text="this line's tax, after its discount share (inside line_total when prices include tax)")
    tax_rate = serializers.CharField(allow_null=True, help_text="the rate applied, a decimal string (0.1900 is 19 %)")

    class Meta(CartItemSerializer.Meta):
        fields = [*CartItemSerializer.Meta.fields, "tax", "tax_rate"]


class CartSerializer(serializers.Serializer):
    """Documents the cart body (built in views.cart_body)."""

    id = serializers.IntegerField()
    token = serializers.CharField(
        allow_null=True, help_text="guest carts only: send it as X-Cart-Token (null for a customer's cart)"
    )
    items = CartLineSerializer(many=True)
    totals = TotalsSerializer()
    shipping_country = serializers.CharField(allow_null=True)
    shipping_method = serializers.CharField(allow_null=True)
    vouchers = CartVoucherSerializer(many=True, help_text="the codes on the cart (each line also has `discount`)")
    currency = serializers.CharField(help_text="the cart's currency: every amount of it is in this one")

    shipping_region = serializers.CharField(allow_null=True, help_text="state or province, where tax differs by it")
    channel = serializers.CharField(help_text="the sales channel (settings.ORDERS_CHANNELS)")
    prices_include_tax = serializers.BooleanField(help_text="true: unit prices are gross, tax is inside the total")
    tax_lines = TaxLineSerializer(many=True, help_text="the tax per rate; their amounts add up to totals.tax")


class NewCartSerializer(serializers.Serializer):
    currency = serializers.CharField(
        max_length=8,
        required=False,
        default="",
        allow_blank=True,
        help_text="one of the shop's currencies (default: the shop's); another: 400 unsupported_currency",
    )
    channel = serializers.CharField(
        max_length=30, required=False, help_text="the sales channel to sell through (default: the shop's)"
    )


class ShippingOfferSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    carrier = serializers.CharField()
    price = MoneyField()
    estimated_days = serializers.IntegerField()


class NextActionSerializer(serializers.Serializer):
    """What the customer must do for the payment (3-D Secure)."""

    type = serializers.ChoiceField(
        choices=["redirect_to_url", "use_stripe_sdk"],
        help_text="redirect_to_url: send the customer to `redirect_url`; use_stripe_sdk: give `client_secret` "
        "to Stripe.js (handleNextAction)",
    )
    redirect_url = serializers.URLField(required=False)
    client_secret = serializers.CharField(required=False)


class UnavailableMethodSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    reason = serializers.ChoiceField(choices=["no_zone", "too_heavy", "no_rate_in_currency"])


class ShippingExplanationSerializer(serializers.Serializer):
    """`?explain=true`: the offers and why every other method does not fit."""

    methods = ShippingOfferSerializer(many=True)
    reason = serializers.ChoiceField(
        choices=["no_zone", "too_heavy", "no_rate_in_currency", "no_methods"],
        allow_null=True,
        help_text="null when some method fits; else why none does (the reason most methods share)",
    )
    unavailable = UnavailableMethodSerializer(many=True)
    weight_grams = serializers.IntegerField(help_text="the cart's weight the methods were quoted for")


class CheckoutResponseSerializer(serializers.Serializer):
    order_id = serializers.IntegerField()
    status = serializers.CharField()
    next_action = NextActionSerializer(
        allow_null=True, help_text="set while the payment waits for the customer (3-D Secure); null otherwise"
    )
    guest_order_url = serializers.URLField(
        required=False, help_text="guests only: the signed link to this order (GET, no login)"
    )
    totals = TotalsSerializer(help_text="the order's totals as placed")
    tax_lines = TaxLineSerializer(many=True)
    channel = serializers.CharField()
    prices_include_tax = serializers.BooleanField()


class AddItemSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    quantity = serializers.IntegerField(min_value=1, max_value=100)


class ChangeItemSerializer(serializers.Serializer):
    quantity = serializers.IntegerField(min_value=1, max_value=100)


class CartDestinationSerializer(serializers.Serializer):
    shipping_country = serializers.CharField(max_length=2, allow_blank=True, required=False, default="")
    shipping_method = serializers.CharField(max_length=50, allow_blank=True, required=False, default="")
    currency = serializers.CharField(
        max_length=8,
        required=False,
        help_text="change the cart's currency (one the shop sells in): its lines are re-priced in it, or 409 "
        "not_sold_in_currency naming the SKUs without a price there",
    )
    shipping_region = serializers.CharField(
        max_length=6, allow_blank=True, required=False, default="", help_text="state or province (e.g. CA)"
    )

    def validate_shipping_region(self, value):
        return validate_region(value)


class CountryQuerySerializer(serializers.Serializer):
    country = serializers.CharField(max_length=2)

    def validate_country(self, value):
        return validate_country(value)


class ShippingMethodsQuerySerializer(CountryQuerySerializer):
    explain = serializers.BooleanField(
        required=False, default=False, help_text="answer an object with why methods do not fit instead of the list"
    )


# --- checkout ---------------------------------------------------------------
class CheckoutSerializer(serializers.Serializer):
    cart_id = serializers.IntegerField()
    email = serializers.EmailField(
        required=False, help_text="guests only (required for them): where the order's messages go"
    )
    shipping_address = AddressSerializer(required=False)
    shipping_address_id = serializers.IntegerField(required=False)
    shipping_method = serializers.CharField(max_length=50)
    payment = PaymentSerializer()

    def validate(self, attrs):
        if ("shipping_address" in attrs) == ("shipping_address_id" in attrs):
            raise serializers.ValidationError(
                {"shipping_address": ["Send either shipping_address or shipping_address_id (one of them)."]}
            )
        return attrs


# --- orders -----------------------------------------------------------------
TAX_FIELDS = ["tax", "tax_rate", "tax_name", "tax_class"]


class OrderLineSerializer(serializers.ModelSerializer):
    unit_price = serializers.SerializerMethodField()
    original_unit_price = serializers.SerializerMethodField(help_text="the regular price when on sale; else null")
    line_total = serializers.SerializerMethodField()
    seller = serializers.SerializerMethodField()

    class Meta:
        model = OrderLine
        fields = [
            "sku",
            "name",
            "quantity",
            "unit_price",
            "original_unit_price",
            "sale",
            "line_total",
            "seller",
            "returned_quantity",
            *TAX_FIELDS,
        ]

    tax = serializers.SerializerMethodField(help_text="this line's tax (inside line_total when prices include tax)")
    tax_rate = serializers.DecimalField(max_digits=6, decimal_places=4, allow_null=True, read_only=True)

    def get_tax(self, line) -> dict:
        return self.context["money"](line.tax)

    def get_unit_price(self, line) -> dict:
        return self.context["money"](line.unit_price)

    def get_original_unit_price(self, line) -> dict | None:
        return None if line.original_unit_price is None else self.context["money"](line.original_unit_price)

    def get_line_total(self, line) -> dict:
        return self.context["money"](line.unit_price * line.quantity)

    def get_seller(self, line) -> dict:
        return {"id": line.seller_id, "slug": line.seller_slug, "name": line.seller_name}


class TrackingStepSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderTrackingEvent
        fields = ["status", "place", "at"]


class ShipmentSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(source="shipment_id")
    tracking_url = serializers.SerializerMethodField(help_text="the carrier's public tracking page for this parcel")
    tracking_events = TrackingStepSerializer(many=True, read_only=True)

    class Meta:
        model = OrderShipment
        fields = ["id", "status", "carrier", "tracking_number", "tracking_url", "warehouse", "tracking_events"]

    def get_tracking_url(self, shipment) -> str | None:
        return shipment.tracking_url or None


class OrderReturnSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="return_id")
    status = serializers.CharField(
        read_only=True,
        help_text="requested (waiting for the return label), initiated (label issued: send the parcel), "
        "received (refunded)",
    )
    refund = serializers.SerializerMethodField()

    class Meta:
        model = OrderReturn
        fields = ["id", "status", "lines", "reason", "tracking_number", "label_url", "refund"]

    def get_refund(self, ret) -> dict | None:
        return None if ret.refund_amount is None else money_body(Money(ret.refund_amount, ret.order.currency))


class TimelineSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderTimelineEntry
        fields = ["at", "event"]


class OrderSerializer(serializers.ModelSerializer):
    lines = serializers.SerializerMethodField()
    totals = serializers.SerializerMethodField()
    shipments = ShipmentSerializer(many=True, read_only=True)
    timeline = TimelineSerializer(many=True, read_only=True)
    returns = OrderReturnSerializer(many=True, read_only=True)
    subscription_id = serializers.IntegerField(read_only=True, allow_null=True)
    next_action = NextActionSerializer(
        read_only=True, allow_null=True, help_text="set while the payment waits for the customer (3-D Secure)"
    )
    tax_lines = serializers.SerializerMethodField(help_text="the tax per rate; their amounts add up to totals.tax")

    class Meta:
        model = Order
        fields = [
            "id",
            "number",
            "status",
            "cancellation_reason",
            "lines",
            "totals",
            "shipping_address",
            "shipping_method",
            "payment_status",
            "shipments",
            "timeline",
            "next_action",
            "created_at",
            "returns",
            "subscription_id",
            "currency",
            "tax_lines",
            "channel",
            "prices_include_tax",
        ]

    def to_representation(self, order) -> dict:
        # The same body as the declared fields give (tests/orders/test_order_body.py), built directly:
        # clients poll it, and building these fields per order was a quarter of a poll's CPU.
        return order_body(order)

    def get_lines(self, order) -> list:
        context = {"money": lambda amount: money_body(Money(amount, order.currency))}
        return OrderLineSerializer(order.lines.all(), many=True, context=context).data

    def get_totals(self, order) -> dict:
        return {name: money_body(value) for name, value in order.totals.items()}

    @extend_schema_field(TaxLineSerializer(many=True))
    def get_tax_lines(self, order) -> list:
        return tax.tax_lines_body(tax.order_tax_lines(order, order.lines.all()))


class LineRequestSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    quantity = serializers.IntegerField(min_value=1, max_value=100)


class AmendSerializer(serializers.Serializer):
    lines = LineRequestSerializer(many=True, help_text="the order's new lines; at least one")

    def validate_lines(self, value):
        if not value:
            raise serializers.ValidationError(
                "An order needs at least one line; to drop every line, cancel the order (POST .../cancel/).",
                code="empty",
            )
        return value


class ReturnSerializer(serializers.Serializer):
    lines = LineRequestSerializer(many=True, allow_empty=False)
    reason = serializers.CharField(max_length=500)


class ReturnResponseSerializer(OrderReturnSerializer):
    """The return as the order shows it (same `status` word, read after the request committed),
    plus `return_id` and `order_id`."""

    return_id = serializers.CharField()
    order_id = serializers.IntegerField()

    class Meta(OrderReturnSerializer.Meta):
        fields = ["return_id", "order_id", *OrderReturnSerializer.Meta.fields]
