"""Personal data at rest (R-SEC-1), the columns: the person cared for's age, mobility and
language, the personal requests of orders and series, completion reports, contract texts and the
stored answers of API creates become encrypted columns (text holding a Fernet token); 0013
encrypts the rows already there (a migration of its own: PostgreSQL cannot alter a table in the
transaction that changed its rows).

The database can no longer check the age's range or the mobility's choices (a token is opaque):
those two check constraints go; `orders.services.care.validate_care` and the field validators
keep the rules. On PostgreSQL the contract guard still refuses any change of a contract's text,
except in a transaction that says it only re-encrypts (`core.crypto.allow_reencryption`: 0013
and `manage.py reencrypt_sensitive_data`); the hash of the plain text never changes.
"""

import django.core.validators
from django.db import migrations

import core.crypto

GUARD = """
CREATE OR REPLACE FUNCTION orders_contract_guard() RETURNS trigger AS $$
BEGIN
    IF {text_changed}
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
"""
TEXT_CHANGED = "NEW.text IS DISTINCT FROM OLD.text"
# A new token of the same text, written only by a transaction that says it re-encrypts.
TOKEN_CHANGED_OUTSIDE_REENCRYPTION = (
    f"({TEXT_CHANGED} AND current_setting('{core.crypto.REENCRYPTING_SETTING}', true) "
    "IS DISTINCT FROM 'on')"
)


def guard_allows_reencryption(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            GUARD.format(text_changed=TOKEN_CHANGED_OUTSIDE_REENCRYPTION), params=None
        )


def guard_as_before(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARD.format(text_changed=TEXT_CHANGED), params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0011_contracts_follow_the_job"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="carerecipient",
            name="care_recipient_age_range",
        ),
        migrations.RemoveConstraint(
            model_name="carerecipient",
            name="care_recipient_mobility_valid",
        ),
        migrations.AlterField(
            model_name="carerecipient",
            name="age",
            field=core.crypto.EncryptedIntegerField(
                validators=[
                    django.core.validators.MinValueValidator(1),
                    django.core.validators.MaxValueValidator(130),
                ],
                verbose_name="age",
            ),
        ),
        migrations.AlterField(
            model_name="carerecipient",
            name="language",
            field=core.crypto.EncryptedTextField(max_length=100, verbose_name="language spoken"),
        ),
        migrations.AlterField(
            model_name="carerecipient",
            name="mobility",
            field=core.crypto.EncryptedTextField(
                choices=[
                    ("walks_alone", "Walks alone"),
                    ("walks_with_help", "Walks with help"),
                    ("wheelchair", "Uses a wheelchair"),
                    ("bedridden", "Bedridden"),
                ],
                max_length=20,
                verbose_name="mobility",
            ),
        ),
        migrations.AlterField(
            model_name="completionreport",
            name="summary",
            field=core.crypto.EncryptedTextField(verbose_name="what was done"),
        ),
        migrations.AlterField(
            model_name="contract",
            name="text",
            field=core.crypto.EncryptedTextField(verbose_name="text"),
        ),
        migrations.AlterField(
            model_name="idempotencykey",
            name="response_body",
            field=core.crypto.EncryptedJSONField(verbose_name="response body"),
        ),
        migrations.AlterField(
            model_name="order",
            name="notes",
            field=core.crypto.EncryptedTextField(blank=True, verbose_name="personal requests"),
        ),
        migrations.AlterField(
            model_name="recurringseries",
            name="notes",
            field=core.crypto.EncryptedTextField(blank=True, verbose_name="personal requests"),
        ),
        migrations.RunPython(guard_allows_reencryption, guard_as_before),
    ]
