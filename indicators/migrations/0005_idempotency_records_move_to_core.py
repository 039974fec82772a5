"""Idempotency-Key records move to core (core.IdempotencyRecord, scoped by endpoint too).

The old records are dropped, not copied: they live 24 hours, and a client that retries a push
after the upgrade with a key it used before simply has its batch ingested again, which is safe
because measurements are upserted on their natural key (the same items answer `unchanged`).
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('indicators', '0004_period_value_cheaper_writes'),
        ('core', '0001_initial'),
    ]

    operations = [
        migrations.DeleteModel(
            name='IdempotencyRecord',
        ),
    ]
