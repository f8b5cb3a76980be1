from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('appview', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Notification',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('did', fields.CharField(max_length=2048)),
                ('author_did', fields.CharField(max_length=2048)),
                ('record_uri', fields.CharField(db_index=True, max_length=8192)),
                ('record_cid', fields.CharField(max_length=256)),
                ('reason', fields.CharField(max_length=64)),
                ('reason_subject', fields.CharField(null=True, max_length=8192)),
                ('sort_at', fields.CharField(max_length=64)),
            ],
            options={'table': 'appview_notification', 'app': 'appview', 'unique_together': (('record_uri', 'did'),), 'indexes': [Index(fields=['did', 'sort_at'])], 'pk_attr': 'id', 'table_description': '``record_uri`` (by ``author_did``) notifies ``did`` for ``reason``.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NotificationPreferences',
            fields=[
                ('did', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=2048)),
                ('preferences', fields.TextField(unique=False)),
                ('updated_at', fields.CharField(max_length=64)),
            ],
            options={'table': 'appview_notification_preferences', 'app': 'appview', 'pk_attr': 'did', 'table_description': "``did``'s ``app.bsky.notification.defs#preferences`` as JSON (only what was put)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NotificationSeen',
            fields=[
                ('did', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=2048)),
                ('seen_at', fields.CharField(max_length=64)),
            ],
            options={'table': 'appview_notification_seen', 'app': 'appview', 'pk_attr': 'did', 'table_description': "The ``seenAt`` of ``did``'s last ``updateSeen``."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PushRegistration',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('did', fields.CharField(db_index=True, max_length=2048)),
                ('service_did', fields.CharField(max_length=2048)),
                ('token', fields.CharField(max_length=4096)),
                ('platform', fields.CharField(max_length=16)),
                ('app_id', fields.CharField(max_length=512)),
                ('age_restricted', fields.BooleanField(default=False)),
                ('created_at', fields.CharField(max_length=64)),
            ],
            options={'table': 'appview_push_registration', 'app': 'appview', 'unique_together': (('did', 'service_did', 'token'),), 'pk_attr': 'id', 'table_description': 'A push token ``did`` registered for ``service_did`` (stored, nothing is pushed yet).'},
            bases=['Model'],
        ),
    ]
