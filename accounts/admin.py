from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from accounts.models import Account, User

admin.site.register(User, UserAdmin)


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ("number", "name", "kind", "parent", "status")
    readonly_fields = ("number", "balance")
    search_fields = ("number", "name")
