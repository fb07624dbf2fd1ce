"""Personal data at rest (R-SEC-1), the rows: every value already stored in the columns 0012
made encrypted is encrypted (values that already are tokens are left as they are, so a second
run changes nothing). Reversible: going back decrypts them, before 0012 restores the plain
columns.
"""

from cryptography.fernet import InvalidToken
from django.db import migrations

from core.crypto import allow_reencryption, decrypt_bytes, encrypt_bytes

# (model, field) of every column 0012 made encrypted.
FIELDS = [
    ("carerecipient", "age"),
    ("carerecipient", "mobility"),
    ("carerecipient", "language"),
    ("order", "notes"),
    ("recurringseries", "notes"),
    ("completionreport", "summary"),
    ("contract", "text"),
    ("idempotencykey", "response_body"),
]
BATCH = 1000


def _is_token(value: str) -> bool:
    try:
        decrypt_bytes(value.encode())
    except InvalidToken:
        return False
    return True


def _encrypt(value) -> str:
    value = str(value)
    return value if _is_token(value) else encrypt_bytes(value.encode()).decode()


def _decrypt(value) -> str:
    value = str(value)
    return decrypt_bytes(value.encode()).decode() if _is_token(value) else value


def _rewrite(apps, schema_editor, change):
    """Pass every non-empty value of FIELDS through `change`, in batches by primary key, with
    plain SQL (the historical fields would encrypt or decrypt on their own)."""
    connection = schema_editor.connection
    allow_reencryption(connection)
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model_name, field_name in FIELDS:
            model = apps.get_model("orders", model_name)
            table = quote(model._meta.db_table)
            column = quote(model._meta.get_field(field_name).column)
            last_pk = 0
            while True:
                # Names quoted from the models, values as parameters.
                cursor.execute(
                    f"SELECT id, {column} FROM {table} WHERE id > %s "  # noqa: S608
                    f"AND {column} IS NOT NULL ORDER BY id LIMIT {BATCH}",
                    [last_pk],
                )
                rows = cursor.fetchall()
                changed = [(change(value), pk) for pk, value in rows if value not in ("", None)]
                if changed:
                    cursor.executemany(
                        f"UPDATE {table} SET {column} = %s WHERE id = %s",  # noqa: S608
                        changed,
                    )
                if len(rows) < BATCH:
                    break
                last_pk = rows[-1][0]


def encrypt_rows(apps, schema_editor):
    _rewrite(apps, schema_editor, _encrypt)


def decrypt_rows(apps, schema_editor):
    _rewrite(apps, schema_editor, _decrypt)


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0012_personal_data_encrypted"),
    ]

    operations = [
        migrations.RunPython(encrypt_rows, decrypt_rows),
    ]
