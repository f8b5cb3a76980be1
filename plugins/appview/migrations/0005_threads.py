from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('appview', '0002_notifications')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ThreadReply',
            fields=[
                ('uri', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=8192)),
                ('did', fields.CharField(max_length=2048)),
                ('root_uri', fields.CharField(db_index=True, max_length=8192)),
                ('parent_uri', fields.CharField(max_length=8192)),
                ('violates_threadgate', fields.BooleanField(default=False)),
                ('deleted_at', fields.CharField(null=True, max_length=64)),
            ],
            options={'table': 'appview_thread_reply', 'app': 'appview', 'pk_attr': 'uri', 'table_description': 'The reply ``uri`` by ``did`` in the thread of ``root_uri``, under ``parent_uri``.'},
            bases=['Model'],
        ),
    ]
