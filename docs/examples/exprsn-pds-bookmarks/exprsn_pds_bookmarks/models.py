"""The plugin's own table: the bookmark index its durable consumer keeps."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

URI_MAX_LENGTH = 8192
DID_MAX_LENGTH = 2048
HOST_MAX_LENGTH = 253


class Bookmark(Model):
    """One bookmark record of a hosted repo, by its AT-URI, with its normalized URL."""

    uri = fields.CharField(max_length=URI_MAX_LENGTH, primary_key=True)
    did = fields.CharField(max_length=DID_MAX_LENGTH, db_index=True)
    url = fields.TextField(description="the subject URL, normalized")
    host = fields.CharField(max_length=HOST_MAX_LENGTH, db_index=True)

    class Meta:
        table = "bookmarks_bookmark"
