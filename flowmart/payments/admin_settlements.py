"""The sellers' money in the back office: each seller's balances, KYC status and statement
per payout period; KYC decisions (operations verify a seller with a reason; Stripe's verdicts
are listed beside them); payouts, with why a seller was skipped and the "paid by bank
transfer" mark. A seller's staff see only their own sellers, read-only."""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from unfold.admin import ModelAdmin

from flowmart.common import display, roles
from flowmart.common.admin import SellerScopedMixin
from flowmart.common.errors import ApiError

from . import statements
from .gateways import GatewayError, ProviderRefused, ProviderUnavailable
from .models import KycDecision, KycStatus, Payout, SellerAccount, SettlementStaff
from .services import kyc, payouts, settlements


def _mine(request, queryset, field="seller_id"):
    return queryset.filter(**{f"{field}__in": SettlementStaff.sellers_of(request.user)})


@admin.register(SellerAccount)
class SellerAccountAdmin(SellerScopedMixin, ModelAdmin):
    list_display = ["seller_id", "name", "kyc", "pending", "available", "commission", "stripe_account_id", "links"]
    list_filter = ["kyc_status"]
    search_fields = ["=seller_id", "name", "slug", "stripe_account_id"]
    fields = ["seller_id", "name", "commission_percent", "kyc_status", "stripe_account_id", "payouts_enabled"]
    fields += ["charges_enabled", "requirements_due", "kyc_updated_at"]
    readonly_fields = [f for f in fields if f != "commission_percent"]
    actions = ["start_onboarding"]

    def scope_for_seller(self, request, queryset):
        return _mine(request, queryset)

    def has_add_permission(self, request):
        return False  # sellers come from catalog's events

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="KYC", ordering="kyc_status")
    def kyc(self, obj):
        return display.badge(obj.kyc_status)

    def _balance(self, obj, bucket):
        currency = statements.currencies_of(obj.seller_id)[0]
        return display.money(payouts.balance(obj.seller_id, currency, bucket), currency)

    @admin.display(description="pending (in hold)")
    def pending(self, obj):
        return self._balance(obj, "pending")

    @admin.display(description="available")
    def available(self, obj):
        return self._balance(obj, "available")

    @admin.display(description="commission %")
    def commission(self, obj):
        from .services.settlements import commission_percent

        return f"{commission_percent(obj.seller_id)} %"

    @admin.display(description="")
    def links(self, obj):
        url = reverse("admin:payments_selleraccount_statement", args=[obj.pk])
        return format_html('<a href="{}">Statement</a>', url)

    @admin.action(description="Start Stripe Connect onboarding (shows the onboarding link)")
    def start_onboarding(self, request, queryset):
        if not roles.is_operations(request.user):
            raise Http404
        back = request.build_absolute_uri(reverse("admin:payments_selleraccount_changelist"))
        for seller in queryset:
            try:
                url = kyc.start_onboarding(seller.seller_id, refresh_url=back, return_url=back)
            except (GatewayError, ProviderRefused, ProviderUnavailable) as exc:
                self.message_user(request, f"{seller}: {exc}", messages.ERROR)
            else:
                self.message_user(request, format_html('{}: send the seller <a href="{}">{}</a>', seller, url, url))

    def get_urls(self):
        view = self.admin_site.admin_view(self.statement_view)
        return [path("<int:pk>/statement/", view, name="payments_selleraccount_statement")] + super().get_urls()

    def statement_view(self, request, pk):
        seller = self.get_queryset(request).filter(pk=pk).first()  # scoped: another seller's is a 404
        if seller is None or not self.has_view_permission(request, seller):
            raise Http404("No such seller.")
        currencies = statements.currencies_of(seller.seller_id)
        currency = request.GET.get("currency") if request.GET.get("currency") in currencies else currencies[0]
        periods = recent_periods()
        period = request.GET.get("period") if request.GET.get("period") in periods else periods[0]
        st = statements.statement(seller.seller_id, currency, period)
        money = {
            k: display.money(getattr(st, k), currency)
            for k in ("opening", "gross_sales", "commission", "credits", "debits", "payouts", "closing")
        }
        money |= {"pending": display.money(st.pending, currency), "available": display.money(st.available, currency)}
        context = {
            **self.admin_site.each_context(request),
            "title": f"Statement — {seller} — {period} ({currency})",
            "opts": self.model._meta,
            "seller": seller,
            "statement": st,
            "money": money,
            "periods": periods,
            "currencies": currencies,
            "period": period,
            "currency": currency,
        }
        return TemplateResponse(request, "admin/payments/statement.html", context)


def recent_periods(count: int = 12) -> list[str]:
    """This payout period and the ones before it, newest first."""
    out, moment = [], timezone.now()
    while len(out) < count:
        key = payouts.period_key(moment)
        if key not in out:
            out.append(key)
        moment -= timedelta(days=1)
    return out


class KycDecisionForm(forms.ModelForm):
    class Meta:
        model = KycDecision
        fields = ["seller", "status", "reason"]

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if len(reason) < 5:
            raise forms.ValidationError("Say why (at least 5 characters): it is kept with your name.")
        return reason


@admin.register(KycDecision)
class KycDecisionAdmin(SellerScopedMixin, ModelAdmin):
    """Operations record a verification here (add); Stripe's verdicts are listed beside them."""

    list_display = ["created_at", "seller", "previous_status", "status", "source", "decided_by", "reason"]
    list_filter = ["status", "source"]
    search_fields = ["=seller__seller_id", "seller__name", "decided_by"]
    form = KycDecisionForm

    def scope_for_seller(self, request, queryset):
        return _mine(request, queryset, "seller__seller_id")

    def has_change_permission(self, request, obj=None):
        return False  # an audit trail

    def has_delete_permission(self, request, obj=None):
        return False

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "status":
            kwargs["choices"] = KycStatus.choices
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        decision = kyc.set_by_operations(
            obj.seller.seller_id, obj.status, request.user.get_username(), form.cleaned_data["reason"]
        )
        obj.pk = decision.pk


class BankTransferForm(forms.ModelForm):
    """Operations paid a seller's available balance by bank: the reference is required."""

    class Meta:
        model = Payout
        fields = ["seller", "currency", "reference"]

    def clean(self):
        data = super().clean()
        seller, currency = data.get("seller"), data.get("currency")
        if not (data.get("reference") or "").strip():
            self.add_error("reference", "The bank transfer's reference is required.")
        if seller is not None and not seller.verified:
            raise forms.ValidationError(f"{seller} is not verified (KYC {seller.kyc_status}): no payout before it.")
        if seller is not None:
            settlements.release_matured(seller_id=seller.seller_id)  # what passed its hold is payable now
        if seller is not None and currency and payouts.balance(seller.seller_id, currency) <= 0:
            raise forms.ValidationError(f"{seller} has nothing available in {currency}.")
        return data


@admin.register(Payout)
class PayoutAdmin(SellerScopedMixin, ModelAdmin):
    """Payouts per (seller, period). "Add" marks a seller's available balance paid by bank transfer."""

    list_display = ["period", "seller", "amount_money", "status_badge", "method", "reason", "provider_transfer_id"]
    list_display += ["reference", "paid_by", "paid_at"]
    list_filter = ["status", "method", "period"]
    search_fields = ["=seller__seller_id", "seller__name", "provider_transfer_id", "reference"]
    form = BankTransferForm
    actions = ["retry_now"]

    def scope_for_seller(self, request, queryset):
        return _mine(request, queryset, "seller__seller_id")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Payout._meta.fields] if obj else []

    def has_change_permission(self, request, obj=None):
        return False if obj else super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="amount", ordering="amount")
    def amount_money(self, obj):
        return display.money(obj.amount, obj.currency)

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj):
        return display.badge(obj.status)

    def save_model(self, request, obj, form, change):
        paid = payouts.mark_paid_by_bank(obj.seller.seller_id, obj.currency, obj.reference, request.user.get_username())
        obj.pk = paid.pk

    @admin.action(description="Retry now (pays once per period; unverified sellers stay skipped)")
    def retry_now(self, request, queryset):
        if not roles.is_operations(request.user):
            raise Http404
        for payout in queryset.filter(status__in=Payout.OPEN):
            try:
                done = payouts.pay(payout.seller.seller_id, payout.currency, payout.period)
            except ApiError as exc:
                self.message_user(request, f"{payout}: {exc.detail}", messages.WARNING)
                continue
            self.message_user(request, f"{payout}: {done.status if done else 'busy'} {done.reason if done else ''}")
