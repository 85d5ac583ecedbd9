from django.contrib.admin.apps import AdminConfig


class PersistAdminConfig(AdminConfig):
    default_site = "config.admin_site.PersistAdminSite"
