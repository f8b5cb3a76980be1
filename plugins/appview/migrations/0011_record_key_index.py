"""``appview_record`` by repository, collection and record key: the profile records the
actor views read by DID (``post_store.RECORD_KEY_INDEX``)."""

from tortoise import migrations
from tortoise.migrations import operations as ops

from exprsn_pds.plugins.appview.post_store import create_record_key_index, drop_record_key_index


class Migration(migrations.Migration):
    dependencies = [("appview", "0010_read_indexes")]

    initial = False

    operations = [ops.RunPython(create_record_key_index, drop_record_key_index)]
