from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('appview', '0007_post_media')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Bookmark',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('did', fields.CharField(db_index=True, max_length=2048)),
                ('subject_uri', fields.CharField(db_index=True, max_length=8192)),
                ('subject_cid', fields.CharField(max_length=256)),
                ('created_at', fields.CharField(max_length=64)),
            ],
            options={'table': 'appview_bookmark', 'app': 'appview', 'unique_together': (('did', 'subject_uri'),), 'pk_attr': 'id', 'table_description': '``did`` bookmarked the post ``subject_uri`` (private server-side state, not a record).'},
            bases=['Model'],
        ),
    ]
