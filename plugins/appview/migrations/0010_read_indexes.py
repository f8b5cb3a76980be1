"""Indexes of the read paths measured by ``bench/appview_bench.py``: ``sortAt`` of posts
and reposts (the timeline's recent window, ``feed_store.followed_items``), each account's
follows (the follow set, from the index alone), and the replies that broke their
threadgate by parent (the post counts' correction, a partial index)."""

from tortoise import migrations
from tortoise.migrations import operations as ops

from exprsn_pds.plugins.appview.feed_store import create_indexes, drop_indexes
from exprsn_pds.plugins.appview.post_store import create_counts_index, drop_counts_index


class Migration(migrations.Migration):
    dependencies = [("appview", "0009_scoped_mutes")]

    initial = False

    operations = [
        ops.RunPython(create_indexes, drop_indexes),
        ops.RunPython(create_counts_index, drop_counts_index),
    ]
