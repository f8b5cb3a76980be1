from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('accounts', '0003_did_tombstones')]

    initial = False

    operations = [
        ops.AddField(
            model_name='RefreshToken',
            name='session_id',
            field=fields.CharField(null=True, max_length=64),
        ),
    ]
