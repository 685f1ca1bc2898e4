"""``django.contrib.admin`` with the staff admin site (second factor) as ``admin.site``."""

from django.contrib.admin.apps import AdminConfig


class StaffAdminConfig(AdminConfig):
    default_site = "backend.accounts.admin_site.StaffAdminSite"
