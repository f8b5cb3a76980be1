from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('appview', '0008_bookmarks')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ScopedMute',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('did', fields.CharField(db_index=True, max_length=2048)),
                ('subject_did', fields.CharField(max_length=2048)),
                ('only_reposts', fields.BooleanField()),
                ('only_quoteposts', fields.BooleanField()),
                ('created_at', fields.CharField(max_length=64)),
            ],
            options={'table': 'appview_scoped_mute', 'app': 'appview', 'unique_together': (('did', 'subject_did'),), 'pk_attr': 'id', 'table_description': "``did`` mutes only ``subject_did``'s reposts and/or quote posts (private state)."},
            bases=['Model'],
        ),
    ]
