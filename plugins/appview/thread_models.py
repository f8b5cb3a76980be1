"""The thread table of the ``appview`` tortoise app: ``appview_thread_reply``, one row per
indexed reply, with what its thread needs that the record alone does not say.

Written by :mod:`.thread_index` in the transaction that indexes the reply; read by
:mod:`.thread_store`.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from exprsn_pds.plugins.appview.models import DID_LENGTH, TIME_LENGTH, URI_LENGTH


class ThreadReply(Model):
    """The reply ``uri`` by ``did`` in the thread of ``root_uri``, under ``parent_uri``.

    ``violates_threadgate``: the root's threadgate did not let ``did`` reply when the reply
    was indexed (the official AppView decides it then too). ``deleted_at``: when a reply by
    the root's author was deleted; it keeps its row, since the OP thread (the oldest chain
    of the author's replies from the root) keeps a deleted reply's place while replies below
    it survive. Other replies' rows go with them.
    """

    uri = fields.CharField(max_length=URI_LENGTH, primary_key=True)
    did = fields.CharField(max_length=DID_LENGTH)
    root_uri = fields.CharField(max_length=URI_LENGTH, db_index=True)
    parent_uri = fields.CharField(max_length=URI_LENGTH)
    violates_threadgate = fields.BooleanField(default=False)
    deleted_at = fields.CharField(max_length=TIME_LENGTH, null=True)

    class Meta:
        table = "appview_thread_reply"
