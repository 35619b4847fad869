"""Admin building blocks shared by every context."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records that change only through services and events (ledgers, inboxes, audit
    trails): staff may look, never add, edit or delete, since an edit here would publish nothing."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
