from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Blob',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('did', fields.CharField(max_length=2048)),
                ('cid', fields.CharField(max_length=128)),
                ('mime_type', fields.CharField(max_length=255)),
                ('size', fields.BigIntField()),
                ('temp_key', fields.CharField(null=True, max_length=128)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('takedown_ref', fields.CharField(null=True, max_length=128)),
            ],
            options={'table': 'blob', 'app': 'repo', 'unique_together': (('did', 'cid'),), 'indexes': [Index(fields=['temp_key', 'created_at'])], 'pk_attr': 'id', 'table_description': 'An uploaded blob: temporary until a record references it.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Record',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('did', fields.CharField(max_length=2048)),
                ('collection', fields.CharField(max_length=317)),
                ('rkey', fields.CharField(max_length=512)),
                ('cid', fields.CharField(max_length=128)),
                ('rev', fields.CharField(max_length=13)),
                ('indexed_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('takedown_ref', fields.CharField(null=True, max_length=128)),
            ],
            options={'table': 'record', 'app': 'repo', 'unique_together': (('did', 'collection', 'rkey'),), 'pk_attr': 'id', 'table_description': 'The record index: what each (collection, rkey) of a repo points at.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RecordBlob',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('did', fields.CharField(max_length=2048)),
                ('blob_cid', fields.CharField(max_length=128)),
                ('record_path', fields.CharField(max_length=830)),
            ],
            options={'table': 'record_blob', 'app': 'repo', 'unique_together': (('did', 'blob_cid', 'record_path'),), 'indexes': [Index(fields=['did', 'record_path'])], 'pk_attr': 'id', 'table_description': 'Which record uses which blob (a blob is kept while any record uses it).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Repo',
            fields=[
                ('did', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=2048)),
                ('head', fields.CharField(description='CID of the current commit', max_length=128)),
                ('rev', fields.CharField(description='rev of the current commit', max_length=13)),
                ('data', fields.CharField(description='CID of the MST root', max_length=128)),
                ('signing_key', fields.BinaryField(description='AES-256-GCM envelope of the private key')),
                ('signing_key_curve', fields.CharField(max_length=8)),
                ('signing_public_key', fields.CharField(description='Multikey of the public signing key', max_length=128)),
                ('status', fields.CharField(default='active', max_length=32)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'repo', 'app': 'repo', 'pk_attr': 'did', 'table_description': "One account's repository: its current commit and its (encrypted) signing key."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RepoBlock',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('did', fields.CharField(max_length=2048)),
                ('cid', fields.CharField(max_length=128)),
                ('rev', fields.CharField(description='the commit that added it', max_length=13)),
                ('content', fields.BinaryField()),
            ],
            options={'table': 'repo_block', 'app': 'repo', 'unique_together': (('did', 'cid'),), 'indexes': [Index(fields=['did', 'rev'])], 'pk_attr': 'id', 'table_description': 'One block (commit, MST node or record) of one repo.'},
            bases=['Model'],
        ),
    ]
