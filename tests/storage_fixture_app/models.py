"""The fixture app's one model."""

from tortoise import fields
from tortoise.models import Model

TITLE_MAX_LENGTH = 100


class Note(Model):
    """A note: a title, and since migration 0002 a body."""

    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=TITLE_MAX_LENGTH)
    body = fields.TextField(default="")
