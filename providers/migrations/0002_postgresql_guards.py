"""Rules PostgreSQL enforces itself; SQLite (the embedded mode) relies on the services.

- One interviewer never holds two scheduled interviews at overlapping times (R-VET-3).
- A signed commitment is never changed or deleted (R-VET-5).
"""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE providers_interview ADD CONSTRAINT interview_interviewer_no_overlap
    EXCLUDE USING gist (interviewer_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
    WHERE (status = 'scheduled');

CREATE OR REPLACE FUNCTION providers_commitment_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'A signed commitment cannot be changed or deleted'
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER commitment_signature_immutable
    BEFORE UPDATE OR DELETE ON providers_commitmentsignature
    FOR EACH ROW EXECUTE FUNCTION providers_commitment_immutable();
"""
DROP = """
DROP TRIGGER IF EXISTS commitment_signature_immutable ON providers_commitmentsignature;
DROP FUNCTION IF EXISTS providers_commitment_immutable();
ALTER TABLE providers_interview DROP CONSTRAINT IF EXISTS interview_interviewer_no_overlap;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("providers", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
