"""The buttons on an order's admin page: cancel, refund, release a dispute hold and resend
one of the order's messages, each a
small form (a reason is always asked) handled by orders.services.staff. Only operations may
use them. Every form carries a one-time token, so a double submit acts once."""

import uuid
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from flowmart.common import display
from flowmart.common.errors import ApiError
from flowmart.common.money import minor_units
from flowmart.common.roles import is_operations
from flowmart.contracts.orders import ORDER_MESSAGE_TYPES

from .models import Order
from .services import staff


class StaffActionForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 2}), help_text="kept on the order")


class RefundForm(StaffActionForm):
    amount = forms.DecimalField(
        min_value=Decimal("0.001"), decimal_places=3, required=False, help_text="leave empty to refund by line below"
    )

    def __init__(self, *args, order: Order, **kwargs):
        super().__init__(*args, **kwargs)
        # In the order's currency, to its minor unit: whole yen, cents, thousandths of a dinar.
        places = minor_units(order.currency)
        self.fields["amount"] = forms.DecimalField(
            min_value=Decimal(1).scaleb(-places),
            decimal_places=places,
            required=False,
            label=f"amount ({order.currency})",
            help_text=self.fields["amount"].help_text,
        )
        self.lines = list(order.lines.all())
        for line in self.lines:
            left = line.quantity - line.returned_quantity
            self.fields[f"line_{line.pk}"] = forms.IntegerField(
                min_value=0, max_value=left, required=False, label=f"{line.sku} — {line.name} (up to {left})"
            )

    def line_quantities(self) -> dict[str, int]:
        return {
            line.sku: self.cleaned_data[f"line_{line.pk}"]
            for line in self.lines
            if self.cleaned_data.get(f"line_{line.pk}")
        }

    def clean(self):
        data = super().clean()
        if data.get("amount") and self.line_quantities():
            raise forms.ValidationError("Refund an amount or lines, not both.")
        return data


class ResendForm(StaffActionForm):
    message_type = forms.ChoiceField(
        choices=ORDER_MESSAGE_TYPES, label="message", help_text="its latest one about this order is sent again"
    )


class OrderActionsMixin:
    change_form_template = "admin/orders/order/change_form.html"
    actions = ["release_dispute_hold"]

    def get_urls(self):
        own = [
            path("<int:order_id>/cancel/", self.admin_site.admin_view(self.cancel_view), name="orders_order_cancel"),
            path("<int:order_id>/refund/", self.admin_site.admin_view(self.refund_view), name="orders_order_refund"),
            path(
                "<int:order_id>/release-hold/",
                self.admin_site.admin_view(self.release_view),
                name="orders_order_release_hold",
            ),
            path(
                "<int:order_id>/resend-notification/",
                self.admin_site.admin_view(self.resend_view),
                name="orders_order_resend_notification",
            ),
        ]
        return own + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_act": is_operations(request.user)}
        return super().change_view(request, object_id, form_url, extra_context)

    def _order_for(self, request, order_id) -> Order:
        if not is_operations(request.user):
            raise PermissionDenied
        order = self.get_queryset(request).filter(pk=order_id).first()
        if order is None:
            raise Http404("No such order.")
        return order

    def _act(self, request, order, form, title, run):
        if request.method == "POST" and form.is_valid():
            try:
                action = run(form)
            except ApiError as exc:
                form.add_error(None, str(exc.detail))
            else:
                self.message_user(request, f"{action.get_kind_display()} recorded: {action.reason}", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:orders_order_change", args=[order.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": f"{title} — order {order}",
            "order": order,
            "form": form,
            "opts": self.model._meta,
            "total": display.money(order.total, order.currency),
            "refundable": display.money(staff.refundable(order), order.currency),
        }
        return TemplateResponse(request, "admin/orders/order/staff_action.html", context)

    def _form(self, request, form_class, **kwargs):
        data = request.POST if request.method == "POST" else None
        return form_class(data, initial={"token": uuid.uuid4().hex}, **kwargs)

    def cancel_view(self, request, order_id):
        order = self._order_for(request, order_id)
        form = self._form(request, StaffActionForm)
        run = lambda f: staff.cancel(order.pk, staff=request.user.email, **_common(f))  # noqa: E731
        return self._act(request, order, form, "Cancel", run)

    def refund_view(self, request, order_id):
        order = self._order_for(request, order_id)
        form = self._form(request, RefundForm, order=order)

        def run(f):
            amount, lines = f.cleaned_data.get("amount"), f.line_quantities()
            return staff.refund(order.pk, staff=request.user.email, amount=amount, lines=lines, **_common(f))

        return self._act(request, order, form, "Refund", run)

    def release_view(self, request, order_id):
        order = self._order_for(request, order_id)
        form = self._form(request, StaffActionForm)
        run = lambda f: staff.release_hold(order.pk, staff=request.user.email, **_common(f))  # noqa: E731
        return self._act(request, order, form, "Release the dispute hold", run)

    def resend_view(self, request, order_id):
        order = self._order_for(request, order_id)
        form = self._form(request, ResendForm)

        def run(f):
            return staff.resend_notification(
                order.pk,
                staff=request.user.email,
                staff_user_id=request.user.pk,
                message_type=f.cleaned_data["message_type"],
                **_common(f),
            )

        return self._act(request, order, form, "Resend a notification", run)

    @admin.action(description="Release the dispute hold (dispute settled)")
    def release_dispute_hold(self, request, queryset):
        released = 0
        for order in queryset:
            try:
                staff.release_hold(
                    order.pk, staff=request.user.email, reason="dispute settled (bulk action)", token=uuid.uuid4().hex
                )
                released += 1
            except ApiError as exc:
                self.message_user(request, f"{order}: {exc.detail}", messages.WARNING)
        if released:
            self.message_user(request, f"{released} order(s) released.", messages.SUCCESS)


def _common(form) -> dict:
    return {"reason": form.cleaned_data["reason"], "token": form.cleaned_data["token"]}
