from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Roles and sign-in: the bottom layer, which every other app may use."""

    name = "accounts"
    verbose_name = "Accounts and roles"
