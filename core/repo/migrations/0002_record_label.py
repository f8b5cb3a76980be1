from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('repo', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='RecordLabel',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('did', fields.CharField(max_length=2048)),
                ('path', fields.CharField(description='collection/rkey', max_length=830)),
                ('cid', fields.CharField(description='the labelled version', max_length=128)),
                ('val', fields.CharField(max_length=128)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'record_label', 'app': 'repo', 'unique_together': (('did', 'path', 'val'),), 'pk_attr': 'id', 'table_description': 'A label value a ``pds_check_record`` implementation attached to a record.'},
            bases=['Model'],
        ),
    ]
