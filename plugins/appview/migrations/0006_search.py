from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

from exprsn_pds.plugins.appview.search_store import create_index, drop_index

class Migration(migrations.Migration):
    dependencies = [('appview', '0005_threads')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Post',
            name='search_keys',
            field=fields.TextField(null=True, unique=False),
        ),
        ops.RunPython(create_index, drop_index),
    ]
