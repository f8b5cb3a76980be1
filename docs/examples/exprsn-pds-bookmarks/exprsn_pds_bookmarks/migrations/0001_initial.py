from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Bookmark',
            fields=[
                ('uri', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=8192)),
                ('did', fields.CharField(db_index=True, max_length=2048)),
                ('url', fields.TextField(description='the subject URL, normalized', unique=False)),
                ('host', fields.CharField(db_index=True, max_length=253)),
            ],
            options={'table': 'bookmarks_bookmark', 'app': 'bookmarks', 'pk_attr': 'uri', 'table_description': 'One bookmark record of a hosted repo, by its AT-URI, with its normalized URL.'},
            bases=['Model'],
        ),
    ]
