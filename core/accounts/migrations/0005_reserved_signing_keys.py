from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('accounts', '0004_refresh_token_sessions')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ReservedSigningKey',
            fields=[
                ('did', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=2048)),
                ('signing_key', fields.BinaryField(description='AES-256-GCM envelope of the private key')),
                ('signing_key_curve', fields.CharField(max_length=8)),
                ('expires_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'reserved_signing_key', 'app': 'accounts', 'pk_attr': 'did', 'table_description': 'A signing key reserved for ``did``, until ``expires_at``.'},
            bases=['Model'],
        ),
    ]
