from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from .groups import sync_staff_groups

        # Runs after every app's permissions exist; idempotent.
        post_migrate.connect(sync_staff_groups, dispatch_uid="accounts.sync_staff_groups")
