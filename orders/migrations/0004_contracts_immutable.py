"""PostgreSQL keeps signed contracts as they were (R-ORD-4).

A contract's text and hash never change and a contract is never deleted; a signature is never
changed or deleted. The models refuse it too; this holds against any other writer.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION orders_refuse_contract_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'Contracts and their signatures cannot be changed or deleted'
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER contract_signature_immutable
    BEFORE UPDATE OR DELETE ON orders_contractsignature
    FOR EACH ROW EXECUTE FUNCTION orders_refuse_contract_change();
CREATE TRIGGER contract_text_immutable
    BEFORE UPDATE OF text, text_sha256, order_id ON orders_contract
    FOR EACH ROW EXECUTE FUNCTION orders_refuse_contract_change();
CREATE TRIGGER contract_never_deleted
    BEFORE DELETE ON orders_contract
    FOR EACH ROW EXECUTE FUNCTION orders_refuse_contract_change();
"""
DROP = """
DROP TRIGGER IF EXISTS contract_never_deleted ON orders_contract;
DROP TRIGGER IF EXISTS contract_text_immutable ON orders_contract;
DROP TRIGGER IF EXISTS contract_signature_immutable ON orders_contractsignature;
DROP FUNCTION IF EXISTS orders_refuse_contract_change();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("orders", "0003_only_bookable_providers")]

    operations = [migrations.RunPython(forwards, backwards)]
