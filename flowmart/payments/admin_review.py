"""The fraud review page of one held payment: the score, each rule that fired with its
weight and the inputs it looked at, and approve/reject with a reason (kept on the
assessment with who and when). Only operations review payments."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from flowmart.common import display
from flowmart.common.errors import Conflict
from flowmart.common.roles import is_operations

from . import fraud, selectors
from .gateways import GatewayError
from .services import review

RULES = {
    "velocity_customer": "many orders by this customer in the window",
    "failed_payments": "failed payments by this customer in the window",
    "velocity_card": "many orders with this card in the window",
    "velocity_ip": "many orders from this IP address in the window",
    "new_account_high_value": "a new account buying for a large amount",
    "country_mismatch": "card country differs from the shipping country",
    "unusual_quantity": "an unusual number of items",
    "provider_signal": "the payment provider flagged the payment",
}


class DecisionForm(forms.Form):
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    decision = forms.ChoiceField(choices=[("approve", "Approve: charge"), ("reject", "Reject as fraudulent")])


def rules_fired(assessment) -> list[dict]:
    weights = fraud.config()["WEIGHTS"]
    return [{"rule": r, "weight": weights.get(r, 0), "meaning": RULES.get(r, r)} for r in assessment.reasons]


class ReviewPageMixin:
    def get_urls(self):
        review_view = self.admin_site.admin_view(self.review_view)
        return [path("<int:payment_id>/review/", review_view, name="payments_payment_review")] + super().get_urls()

    def review_view(self, request, payment_id):
        if not is_operations(request.user):
            raise PermissionDenied
        payment = selectors.review_queue().filter(pk=payment_id).first()
        if payment is None:
            raise Http404("No such payment on hold.")
        assessment = payment.assessments.order_by("-id").first()
        form = DecisionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            decide = review.approve if form.cleaned_data["decision"] == "approve" else review.reject
            try:
                decide(payment.pk, request.user.get_username(), reason=form.cleaned_data["reason"])
            except (Conflict, GatewayError) as exc:
                form.add_error(None, str(getattr(exc, "detail", exc)))
            else:
                self.message_user(request, f"payment {payment.pk}: {form.cleaned_data['decision']}d", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:payments_paymentunderreview_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Fraud review — payment {payment.pk} (order {payment.order_number or payment.order_id})",
            "opts": self.model._meta,
            "payment": payment,
            "amount": display.money(payment.amount, payment.currency),
            "assessment": assessment,
            "rules": rules_fired(assessment) if assessment else [],
            "form": form,
        }
        return TemplateResponse(request, "admin/payments/review.html", context)
