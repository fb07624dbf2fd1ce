"""A contract follows the job (R-ORD-4): an order may have several contracts, at most one in
force; each records what it says of the job (provider, service, time, price) and, when the job
changed, when and why it was voided.

Existing contracts get their terms from their order. A contract that no longer describes its
order (the order was moved to another time or another provider since, the bug this fixes) is
voided here, so that the next confirmation issues a contract that does. On PostgreSQL a trigger
keeps the text and the terms of every contract unchanged, and a voided contract voided.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

GUARD = """
CREATE OR REPLACE FUNCTION orders_contract_guard() RETURNS trigger AS $$
BEGIN
    IF NEW.text IS DISTINCT FROM OLD.text
        OR NEW.text_sha256 IS DISTINCT FROM OLD.text_sha256
        OR NEW.order_id IS DISTINCT FROM OLD.order_id
        OR NEW.template_id IS DISTINCT FROM OLD.template_id
        OR NEW.language IS DISTINCT FROM OLD.language
        OR NEW.public_id IS DISTINCT FROM OLD.public_id
        OR NEW.created_at IS DISTINCT FROM OLD.created_at
        OR NEW.provider_id IS DISTINCT FROM OLD.provider_id
        OR NEW.service_type_id IS DISTINCT FROM OLD.service_type_id
        OR NEW.starts_at IS DISTINCT FROM OLD.starts_at
        OR NEW.ends_at IS DISTINCT FROM OLD.ends_at
        OR NEW.price IS DISTINCT FROM OLD.price THEN
        RAISE EXCEPTION 'A contract''s text and terms cannot be changed'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF OLD.status = 'voided' AND (
        NEW.status IS DISTINCT FROM OLD.status
        OR NEW.voided_at IS DISTINCT FROM OLD.voided_at
        OR NEW.voided_by_id IS DISTINCT FROM OLD.voided_by_id
        OR NEW.void_reason IS DISTINCT FROM OLD.void_reason) THEN
        RAISE EXCEPTION 'A voided contract stays voided'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS contract_text_immutable ON orders_contract;
CREATE TRIGGER contract_terms_immutable
    BEFORE UPDATE ON orders_contract
    FOR EACH ROW EXECUTE FUNCTION orders_contract_guard();
"""
UNGUARD = """
DROP TRIGGER IF EXISTS contract_terms_immutable ON orders_contract;
DROP FUNCTION IF EXISTS orders_contract_guard();
CREATE TRIGGER contract_text_immutable
    BEFORE UPDATE OF text, text_sha256, order_id ON orders_contract
    FOR EACH ROW EXECUTE FUNCTION orders_refuse_contract_change();
"""
VOIDED_BY_MIGRATION = "The job changed after this contract was generated"


def copy_terms(apps, schema_editor):
    Contract = apps.get_model("orders", "Contract")
    ContractSignature = apps.get_model("orders", "ContractSignature")
    Provider = apps.get_model("providers", "Provider")
    for contract in Contract.objects.select_related("order"):
        order = contract.order
        provider_id = order.provider_id
        if provider_id is None:  # the provider who signed it, if they did
            signature = ContractSignature.objects.filter(contract=contract, party="provider")
            signer_id = signature.values_list("signer_id", flat=True).first()
            provider_id = (
                Provider.objects.filter(user_id=signer_id).values_list("pk", flat=True).first()
            )
        Contract.objects.filter(pk=contract.pk).update(
            provider_id=provider_id,
            service_type_id=order.service_type_id,
            starts_at=order.starts_at,
            ends_at=order.ends_at,
            price=order.price,
        )
        rendered_for_another_job = (
            order.provider_id is None or order.status == "requested" or order.status == "offered"
        )
        if rendered_for_another_job:
            Contract.objects.filter(pk=contract.pk).update(
                status="voided", voided_at=timezone.now(), void_reason=VOIDED_BY_MIGRATION
            )


def guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARD, params=None)


def unguard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNGUARD, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0010_guarantee_channel"),
        ("providers", "0004_status_events_and_signed_texts_on_core"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="contract",
            options={
                "ordering": ["-created_at", "-id"],
                "verbose_name": "contract",
                "verbose_name_plural": "contracts",
            },
        ),
        migrations.AlterField(
            model_name="contract",
            name="order",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="contracts",
                to="orders.order",
                verbose_name="order",
            ),
        ),
        migrations.AddField(
            model_name="contract",
            name="provider",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="providers.provider",
                verbose_name="provider named",
            ),
        ),
        migrations.AddField(
            model_name="contract",
            name="service_type",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="orders.servicetype",
                verbose_name="service",
            ),
        ),
        migrations.AddField(
            model_name="contract",
            name="starts_at",
            field=models.DateTimeField(null=True, verbose_name="starts"),
        ),
        migrations.AddField(
            model_name="contract",
            name="ends_at",
            field=models.DateTimeField(null=True, verbose_name="ends"),
        ),
        migrations.AddField(
            model_name="contract",
            name="price",
            field=models.DecimalField(
                decimal_places=2, max_digits=14, null=True, verbose_name="price"
            ),
        ),
        migrations.AddField(
            model_name="contract",
            name="status",
            field=models.CharField(
                choices=[("current", "In force"), ("voided", "Voided")],
                default="current",
                max_length=10,
                verbose_name="status",
            ),
        ),
        migrations.AddField(
            model_name="contract",
            name="voided_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="voided"),
        ),
        migrations.AddField(
            model_name="contract",
            name="voided_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="voided by",
            ),
        ),
        migrations.AddField(
            model_name="contract",
            name="void_reason",
            field=models.TextField(blank=True, verbose_name="why voided"),
        ),
        migrations.RunPython(copy_terms, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="contract",
            name="service_type",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="orders.servicetype",
                verbose_name="service",
            ),
        ),
        migrations.AlterField(
            model_name="contract",
            name="starts_at",
            field=models.DateTimeField(verbose_name="starts"),
        ),
        migrations.AlterField(
            model_name="contract",
            name="ends_at",
            field=models.DateTimeField(verbose_name="ends"),
        ),
        migrations.AlterField(
            model_name="contract",
            name="price",
            field=models.DecimalField(decimal_places=2, max_digits=14, verbose_name="price"),
        ),
        migrations.AddConstraint(
            model_name="contract",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "current")),
                fields=("order",),
                name="contract_one_in_force_per_order",
            ),
        ),
        migrations.AddConstraint(
            model_name="contract",
            constraint=models.CheckConstraint(
                condition=models.Q(("status", "current"), ("voided_at__isnull", True))
                | models.Q(("status", "voided"), ("voided_at__isnull", False)),
                name="contract_voided_has_time",
            ),
        ),
        migrations.RunPython(guard, unguard),
    ]
