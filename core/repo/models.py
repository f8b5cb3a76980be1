"""Tables of the repository engine: repos, their blocks, the record index, blobs."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

DID_MAX_LENGTH = 2048
CID_MAX_LENGTH = 128
TID_LENGTH = 13
NSID_MAX_LENGTH = 317
RECORD_KEY_MAX_LENGTH = 512
MIME_TYPE_MAX_LENGTH = 255
STATUS_MAX_LENGTH = 32
MULTIKEY_MAX_LENGTH = 128


class Repo(Model):
    """One account's repository: its current commit and its (encrypted) signing key."""

    did = fields.CharField(max_length=DID_MAX_LENGTH, primary_key=True)
    head = fields.CharField(max_length=CID_MAX_LENGTH, description="CID of the current commit")
    rev = fields.CharField(max_length=TID_LENGTH, description="rev of the current commit")
    data = fields.CharField(max_length=CID_MAX_LENGTH, description="CID of the MST root")
    signing_key = fields.BinaryField(description="AES-256-GCM envelope of the private key")
    signing_key_curve = fields.CharField(max_length=8)
    signing_public_key = fields.CharField(
        max_length=MULTIKEY_MAX_LENGTH, description="Multikey of the public signing key"
    )
    status = fields.CharField(max_length=STATUS_MAX_LENGTH, default="active")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "repo"


class RepoBlock(Model):
    """One block (commit, MST node or record) of one repo."""

    id = fields.BigIntField(primary_key=True)
    did = fields.CharField(max_length=DID_MAX_LENGTH)
    cid = fields.CharField(max_length=CID_MAX_LENGTH)
    rev = fields.CharField(max_length=TID_LENGTH, description="the commit that added it")
    content = fields.BinaryField()

    class Meta:
        table = "repo_block"
        unique_together = (("did", "cid"),)
        indexes = (("did", "rev"),)


class Record(Model):
    """The record index: what each (collection, rkey) of a repo points at."""

    id = fields.BigIntField(primary_key=True)
    did = fields.CharField(max_length=DID_MAX_LENGTH)
    collection = fields.CharField(max_length=NSID_MAX_LENGTH)
    rkey = fields.CharField(max_length=RECORD_KEY_MAX_LENGTH)
    cid = fields.CharField(max_length=CID_MAX_LENGTH)
    rev = fields.CharField(max_length=TID_LENGTH)
    indexed_at = fields.DatetimeField(auto_now=True)
    takedown_ref = fields.CharField(max_length=CID_MAX_LENGTH, null=True)

    class Meta:
        table = "record"
        unique_together = (("did", "collection", "rkey"),)


class Blob(Model):
    """An uploaded blob: temporary until a record references it."""

    id = fields.BigIntField(primary_key=True)
    did = fields.CharField(max_length=DID_MAX_LENGTH)
    cid = fields.CharField(max_length=CID_MAX_LENGTH)
    mime_type = fields.CharField(max_length=MIME_TYPE_MAX_LENGTH)
    size = fields.BigIntField()
    temp_key = fields.CharField(max_length=CID_MAX_LENGTH, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    takedown_ref = fields.CharField(max_length=CID_MAX_LENGTH, null=True)

    class Meta:
        table = "blob"
        unique_together = (("did", "cid"),)
        indexes = (("temp_key", "created_at"),)


class RecordBlob(Model):
    """Which record uses which blob (a blob is kept while any record uses it)."""

    id = fields.BigIntField(primary_key=True)
    did = fields.CharField(max_length=DID_MAX_LENGTH)
    blob_cid = fields.CharField(max_length=CID_MAX_LENGTH)
    record_path = fields.CharField(max_length=NSID_MAX_LENGTH + RECORD_KEY_MAX_LENGTH + 1)

    class Meta:
        table = "record_blob"
        unique_together = (("did", "blob_cid", "record_path"),)
        indexes = (("did", "record_path"),)


LABEL_VALUE_MAX_LENGTH = 128


class RecordLabel(Model):
    """A label value a ``pds_check_record`` implementation attached to a record.

    Keyed by the record (``did`` and ``path``, i.e. its AT-URI) and the ``cid`` of the
    version it was attached to; removed when that record is deleted or replaced.
    """

    id = fields.BigIntField(primary_key=True)
    did = fields.CharField(max_length=DID_MAX_LENGTH)
    path = fields.CharField(
        max_length=NSID_MAX_LENGTH + RECORD_KEY_MAX_LENGTH + 1, description="collection/rkey"
    )
    cid = fields.CharField(max_length=CID_MAX_LENGTH, description="the labelled version")
    val = fields.CharField(max_length=LABEL_VALUE_MAX_LENGTH)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "record_label"
        unique_together = (("did", "path", "val"),)
