"""``appview_post.media_type``: the kind of media a post shows (images, video, external or
gallery), also inside ``recordWithMedia``, for the author feed's media filters; filled for
the posts already indexed from their records."""

import json
from typing import Any

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from exprsn_pds.sql import execute, fetch

RECORD_WITH_MEDIA = "app.bsky.embed.recordWithMedia"


async def fill_media_types(apps: Any, schema_editor: Any) -> None:
    """Set ``media_type`` of the indexed posts from their embed."""
    client = schema_editor.client
    await execute(
        client,
        "UPDATE appview_post SET media_type = embed_type"
        " WHERE embed_type IS NOT NULL AND embed_type NOT IN"
        " ('app.bsky.embed.record', 'app.bsky.embed.recordWithMedia')",
    )
    rows = await fetch(
        client,
        "SELECT p.uri, r.record FROM appview_post p JOIN appview_record r ON r.uri = p.uri"
        " WHERE p.embed_type = ? AND r.record IS NOT NULL",
        [RECORD_WITH_MEDIA],
    )
    for uri, text in rows:
        media = (json.loads(text).get("embed") or {}).get("media")
        kind = media.get("$type") if isinstance(media, dict) else None
        if isinstance(kind, str):
            await execute(
                client, "UPDATE appview_post SET media_type = ? WHERE uri = ?", [kind, uri]
            )


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
