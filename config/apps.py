from django.contrib.admin.apps import AdminConfig


class RegardAdminConfig(AdminConfig):
    default_site = "config.admin_site.RegardAdminSite"
