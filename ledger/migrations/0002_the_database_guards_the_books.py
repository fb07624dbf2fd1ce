"""The database guards the books (R-PAY-1): an entry's lines add up to zero per currency (and
there are at least two) when its transaction commits, and no entry or line is ever updated or
deleted. On PostgreSQL: a deferred constraint trigger and row triggers. SQLite (the embedded
mode) has no deferred triggers: it refuses updates and deletions; balancing is checked by
ledger.services.posting before every insert."""

from django.db import migrations

POSTGRESQL = """
CREATE FUNCTION ledger_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger rows are never changed or deleted: post a reversing entry'
        USING ERRCODE = 'integrity_constraint_violation';
END $$ LANGUAGE plpgsql;

CREATE TRIGGER ledger_entry_unchanged BEFORE UPDATE OR DELETE ON ledger_journalentry
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_line_unchanged BEFORE UPDATE OR DELETE ON ledger_journalline
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();

CREATE FUNCTION ledger_check_entry_balanced() RETURNS trigger AS $$
DECLARE
    -- The entry's id is in the column the trigger names: entry_id on lines, id on entries.
    entry bigint := (to_jsonb(NEW) ->> TG_ARGV[0])::bigint;
BEGIN
    IF (SELECT count(*) FROM ledger_journalline WHERE entry_id = entry) < 2 THEN
        RAISE EXCEPTION 'journal entry % has fewer than two lines', entry
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF EXISTS (
        SELECT 1 FROM ledger_journalline WHERE entry_id = entry
        GROUP BY currency HAVING sum(amount) <> 0
    ) THEN
        RAISE EXCEPTION 'journal entry % does not balance', entry
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER ledger_line_balanced AFTER INSERT ON ledger_journalline
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_check_entry_balanced('entry_id');
CREATE CONSTRAINT TRIGGER ledger_entry_balanced AFTER INSERT ON ledger_journalentry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_check_entry_balanced('id');
"""

POSTGRESQL_REVERSE = """
DROP TRIGGER ledger_entry_balanced ON ledger_journalentry;
DROP TRIGGER ledger_line_balanced ON ledger_journalline;
DROP FUNCTION ledger_check_entry_balanced();
DROP TRIGGER ledger_line_unchanged ON ledger_journalline;
DROP TRIGGER ledger_entry_unchanged ON ledger_journalentry;
DROP FUNCTION ledger_refuse_change();
"""

SQLITE = [
    f"""CREATE TRIGGER ledger_{table}_no_{verb} BEFORE {verb.upper()} ON ledger_{table}
    BEGIN SELECT RAISE(ABORT, 'ledger rows are never changed or deleted'); END;"""
    for table in ("journalentry", "journalline")
    for verb in ("update", "delete")
]


def guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL, params=None)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE:
            schema_editor.execute(statement)


def unguard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_REVERSE, params=None)
    elif schema_editor.connection.vendor == "sqlite":
        for table in ("journalentry", "journalline"):
            for verb in ("update", "delete"):
                schema_editor.execute(f"DROP TRIGGER ledger_{table}_no_{verb}")


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_books")]

    operations = [migrations.RunPython(guard, unguard)]
