from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('events', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='EventConsumer',
            fields=[
                ('name', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=128)),
                ('last_seq', fields.BigIntField(description='the newest seq handled')),
                ('missed_events', fields.BigIntField(default=0, description='events purged before the consumer handled them')),
                ('owner', fields.CharField(null=True, description='the lease holder', max_length=255)),
                ('lease_expires_ms', fields.BigIntField(default=0, description='lease end, ms since the epoch on the database clock')),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'event_consumer', 'app': 'events', 'pk_attr': 'name', 'table_description': "A durable consumer's place in the event log and who runs it now."},
            bases=['Model'],
        ),
    ]
