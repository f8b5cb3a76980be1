"""``appview_post.media_type``: the kind of media a post shows (images, video, external or
gallery), also inside ``recordWithMedia``, for the author feed's media filters; filled for
the posts already indexed from their records."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from exprsn_pds.plugins.appview.post_store import fill_media_types


class Migration(migrations.Migration):
    dependencies = [("appview", "0006_search")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Post",
            name="media_type",
            field=fields.CharField(null=True, max_length=317),
        ),
        ops.RunPython(fill_media_types, ops.RunPython.noop),
    ]
