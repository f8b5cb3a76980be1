from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('accounts', '0002_sessions_invites_email_tokens')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DidTombstone',
            fields=[
                ('did', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=2048)),
                ('deleted_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'did_tombstone', 'app': 'accounts', 'pk_attr': 'did', 'table_description': 'A DID whose account was deleted here, and when.'},
            bases=['Model'],
        ),
    ]
