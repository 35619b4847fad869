"""Admin building blocks shared by every context: read-only screens, and the seller scoping
every screen a seller's staff may open goes through."""

from django.contrib.admin.utils import unquote
from django.http import Http404
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV, XLSX
from unfold.admin import ModelAdmin, TabularInline
from unfold.contrib.import_export.forms import ImportForm, SelectableFieldsExportForm

from . import privacy, roles


class ReadOnlyAdmin(ModelAdmin):
    """For records that change only through services and events (ledgers, inboxes, audit
    trails): staff may look, never add, edit or delete, since an edit here would publish nothing."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(TabularInline):
    """Rows shown inside their parent's page (an order's lines, a parcel's tracking), written
    only by services: nothing added, edited or deleted here. Viewing follows the parent's
    screen, which already scopes what the user may see."""

    extra = 0
    can_delete = False

    def has_view_permission(self, request, obj=None):
        return True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SellerScopedMixin:
    """A screen operations see whole and a seller's staff see cut down to their own sellers.

    The cut is made once, in `get_queryset` (through `scope_for_seller`, which each context
    answers from its own projections), so the changelist with its search and filters, the
    change/delete/history pages, bulk actions (Django re-reads the selected ids through
    `get_queryset`: a foreign id changes nothing), autocomplete and exports all see the same
    rows. Another seller's object answers 404, not Django's redirect, so a guessed URL
    tells nothing. `seller_staff_can` names what seller staff may do beyond looking."""

    seller_staff_can: frozenset[str] = frozenset({"view"})

    def scope_for_seller(self, request, queryset):
        raise NotImplementedError

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if roles.is_seller_staff(request.user):
            return self.scope_for_seller(request, queryset)
        return queryset

    def _may(self, request, verb: str, granted: bool) -> bool:
        """Seller staff: exactly `seller_staff_can` (their rows are already cut); others: Django's answer."""
        if roles.is_seller_staff(request.user):
            return verb in self.seller_staff_can
        return granted

    def has_module_permission(self, request):
        return self._may(request, "view", super().has_module_permission(request))

    def has_view_permission(self, request, obj=None):
        return self._may(request, "view", super().has_view_permission(request, obj))

    def has_add_permission(self, request):
        return self._may(request, "add", super().has_add_permission(request))

    def has_change_permission(self, request, obj=None):
        return self._may(request, "change", super().has_change_permission(request, obj))

    def has_delete_permission(self, request, obj=None):
        return self._may(request, "delete", super().has_delete_permission(request, obj))

    def _only_own(self, request, object_id):
        if object_id and roles.is_seller_staff(request.user) and self.get_object(request, unquote(object_id)) is None:
            raise Http404("No such object.")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._only_own(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        self._only_own(request, object_id)
        return super().delete_view(request, object_id, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        self._only_own(request, object_id)
        return super().history_view(request, object_id, extra_context)


class ScopedImportExport(ImportExportMixin):
    """CSV/XLSX import and export for whoever may change (import) or view (export) the rows;
    the export is the scoped changelist (its search and filters included) and the resource
    is told the user, so each imported row is checked against their sellers."""

    import_formats = export_formats = [CSV, XLSX]
    import_form_class, export_form_class = ImportForm, SelectableFieldsExportForm

    def get_import_resource_kwargs(self, request, **kwargs):
        return {**super().get_import_resource_kwargs(request, **kwargs), "user": request.user}

    def has_import_permission(self, request):
        return self.has_change_permission(request) and self.has_add_permission(request)

    def has_export_permission(self, request):
        return self.has_view_permission(request)


class PersonalDataAccessMixin:
    """Records (flowmart.common.privacy.record_staff_access) every time staff open the page of
    an object that shows a customer's personal data: who, when, which page, whose data.
    `personal_data_customer(obj)` names the customer (None: nobody's, nothing recorded);
    `personal_data_what` says what the page is, e.g. "order page"."""

    personal_data_context = ""
    personal_data_what = "page"

    def personal_data_customer(self, obj) -> int | None:
        raise NotImplementedError

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and getattr(response, "status_code", 200) == 200 and object_id:
            obj = self.get_object(request, unquote(object_id))
            customer_id = self.personal_data_customer(obj) if obj is not None else None
            if customer_id is not None:
                privacy.record_staff_access(
                    staff=request.user,
                    customer_id=customer_id,
                    context=self.personal_data_context or self.opts.app_label,
                    what=self.personal_data_what,
                    object_ref=f"{self.opts.model_name} {obj.pk}",
                )
        return response
