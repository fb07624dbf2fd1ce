"""PostgreSQL forbids overlapping confirmed jobs for one provider (R-ORD-5).

An exclusion constraint over (provider, [starts_at, blocked_until)) for orders whose time is
blocked: the job plus the travel buffer.
It is raw SQL because SQLite, the embedded default, has no such constraint; there the booking
service's check under the write lock is the guard.
"""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE orders_order ADD CONSTRAINT order_provider_no_overlap
    EXCLUDE USING gist (provider_id WITH =, tstzrange(starts_at, blocked_until, '[)') WITH &&)
    WHERE (status IN ('confirmed', 'in_progress'));
"""
DROP = "ALTER TABLE orders_order DROP CONSTRAINT IF EXISTS order_provider_no_overlap;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("orders", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
