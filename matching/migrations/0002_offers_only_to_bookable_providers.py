"""PostgreSQL refuses an offer to a provider who may not work (R-VET-6)."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION matching_require_bookable_provider() RETURNS trigger AS $$
DECLARE
    provider_status text;
BEGIN
    SELECT status INTO provider_status FROM providers_provider WHERE id = NEW.provider_id;
    IF provider_status NOT IN ('active', 'probation') THEN
        RAISE EXCEPTION 'Provider % is % and may not receive offers', NEW.provider_id,
            provider_status USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER offer_for_bookable_provider
    BEFORE INSERT ON matching_offer
    FOR EACH ROW EXECUTE FUNCTION matching_require_bookable_provider();
"""
DROP = """
DROP TRIGGER IF EXISTS offer_for_bookable_provider ON matching_offer;
DROP FUNCTION IF EXISTS matching_require_bookable_provider();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("matching", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
