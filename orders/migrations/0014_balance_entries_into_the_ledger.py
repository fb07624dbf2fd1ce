"""Today's balance entries become journal entries (R-PAY-1): a credit moves from the platform's
compensation account into the customer's wallet; a charge (a late-cancellation fee) is owed by
the customer and earned as revenue. Each keeps its date, reason, order and author; then the old
table goes."""

from django.db import migrations

EXPONENT = 2  # every currency the platform has served so far has two decimals (ledger/money.py)


def into_the_ledger(apps, schema_editor):
    BalanceEntry = apps.get_model("orders", "BalanceEntry")
    LedgerAccount = apps.get_model("ledger", "LedgerAccount")
    JournalEntry = apps.get_model("ledger", "JournalEntry")
    JournalLine = apps.get_model("ledger", "JournalLine")
    JournalEntry._meta.get_field("created_at").auto_now_add = False  # keep each one's date

    def account(kind, currency, holder_id=None):
        found, _ = LedgerAccount.objects.get_or_create(
            kind=kind, currency=currency, holder_id=holder_id
        )
        return found

    for old in BalanceEntry.objects.order_by("id").iterator():
        minor = int(old.amount.scaleb(EXPONENT))
        if minor > 0:
            held = account("customer_wallet", old.currency, old.customer_id)
            platform = account("compensation", old.currency)
        else:
            held = account("customer_due", old.currency, old.customer_id)
            platform = account("revenue", old.currency)
        entry = JournalEntry.objects.create(
            created_at=old.created_at,
            created_by_id=old.created_by_id,
            memo=old.reason,
            cause="order" if old.order_id else "carried_over",
            cause_id=old.order_id,
            idempotency_key=f"balance-entry-{old.pk}",
        )
        JournalLine.objects.bulk_create(
            [
                JournalLine(entry=entry, account=held, amount=minor, currency=old.currency),
                JournalLine(entry=entry, account=platform, amount=-minor, currency=old.currency),
            ]
        )


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0013_personal_data_rows_encrypted"),
        ("ledger", "0002_the_database_guards_the_books"),
    ]

    operations = [
        migrations.RunPython(into_the_ledger, migrations.RunPython.noop),
        migrations.DeleteModel(name="BalanceEntry"),
    ]
