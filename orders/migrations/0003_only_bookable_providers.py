"""PostgreSQL refuses to confirm an order for a provider who may not work (R-VET-6).

A trigger checks the provider's status whenever an order becomes confirmed or changes provider
while confirmed; the matching query and the services check it too.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION orders_require_bookable_provider() RETURNS trigger AS $$
DECLARE
    provider_status text;
BEGIN
    SELECT status INTO provider_status FROM providers_provider WHERE id = NEW.provider_id;
    IF provider_status NOT IN ('active', 'probation') THEN
        RAISE EXCEPTION 'Provider % is % and may not receive orders', NEW.provider_id,
            provider_status USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER order_confirmed_for_bookable_provider
    BEFORE INSERT OR UPDATE OF status, provider_id ON orders_order
    FOR EACH ROW WHEN (NEW.status = 'confirmed' AND NEW.provider_id IS NOT NULL)
    EXECUTE FUNCTION orders_require_bookable_provider();
"""
DROP = """
DROP TRIGGER IF EXISTS order_confirmed_for_bookable_provider ON orders_order;
DROP FUNCTION IF EXISTS orders_require_bookable_provider();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("orders", "0002_no_double_booking"), ("providers", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
