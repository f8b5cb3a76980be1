from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Account',
            fields=[
                ('did', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=2048)),
                ('handle', fields.CharField(null=True, unique=True, max_length=253)),
                ('email', fields.CharField(null=True, unique=True, max_length=320)),
                ('password_hash', fields.CharField(null=True, max_length=512)),
                ('email_confirmed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('deactivated_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('takedown_ref', fields.CharField(null=True, max_length=128)),
            ],
            options={'table': 'account', 'app': 'accounts', 'pk_attr': 'did', 'table_description': 'An account: its identity and credentials (the repo lives in ``repo``).'},
            bases=['Model'],
        ),
    ]
