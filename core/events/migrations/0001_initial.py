from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='RepoEvent',
            fields=[
                ('seq', fields.BigIntField(primary_key=True, generated=False, unique=True, db_index=True)),
                ('did', fields.CharField(db_index=True, max_length=2048)),
                ('type', fields.CharField(description='commit, sync, identity or account', max_length=16)),
                ('frame', fields.BinaryField(description='the WebSocket message: DAG-CBOR header + body')),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'repo_event', 'app': 'events', 'pk_attr': 'seq', 'table_description': 'One event of ``com.atproto.sync.subscribeRepos``, ready to send.'},
            bases=['Model'],
        ),
    ]
