from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='ModerationReport',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('reason_type', fields.TextField(unique=False)),
                ('reason', fields.TextField(null=True, unique=False)),
                ('subject', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('reported_by', fields.CharField(db_index=True, max_length=2048)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'moderation_report', 'app': 'reports', 'pk_attr': 'id', 'table_description': 'One ``com.atproto.moderation.createReport``, as the reporter sent it.'},
            bases=['Model'],
        ),
    ]
