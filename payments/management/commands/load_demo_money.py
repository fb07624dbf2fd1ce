"""The demo's money settings (after `load_demo`): a published commission table, so completed
demo jobs share out as a real company's would. Idempotent."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from payments.models import CommissionRule, CommissionTable
from payments.services.earnings import publish_commission_table
from providers.models import ProviderTier

DEFAULT_PERCENT = 20
SENIOR_PERCENT = 15


class Command(BaseCommand):
    help = "Publish the demo's commission table (20 %, 15 % for the highest tier) if none is."

    @transaction.atomic
    def handle(self, *args, **options):
        if CommissionTable.objects.exists():
            return
        operator = get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
        table = CommissionTable.objects.create(number=1, note="Demo commission")
        CommissionRule.objects.create(table=table, percent=DEFAULT_PERCENT)
        top_tier = ProviderTier.values[-1]
        CommissionRule.objects.create(table=table, tier=top_tier, percent=SENIOR_PERCENT)
        publish_commission_table(table=table, actor=operator)
        self.stdout.write(
            f"Commission: {DEFAULT_PERCENT} % ({SENIOR_PERCENT} % for the {top_tier} tier)."
        )
