"""Building blocks shared by the registry's admin classes."""
from django.contrib import admin


class ReadOnlyAdminMixin:
    """View only: rows are written by the services (or are history), never edited by hand."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    # Counting every row of a 10M-row table on each page costs more than the page itself.
    show_full_result_count = False


class KeyValueInline(ReadOnlyAdminMixin, admin.TabularInline):
    """Tags and params shown beside their owner; they change through the MLflow and native APIs."""

    fields = ("key", "value")
    readonly_fields = ("key", "value")
    extra = 0
    can_delete = False
