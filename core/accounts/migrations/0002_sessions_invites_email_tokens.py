from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('accounts', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AppPassword',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('did', fields.CharField(max_length=2048)),
                ('name', fields.CharField(max_length=64)),
                ('password_hash', fields.CharField(max_length=512)),
                ('privileged', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'app_password', 'app': 'accounts', 'unique_together': (('did', 'name'),), 'pk_attr': 'id', 'table_description': 'A named password for a third-party app, with reduced rights.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='EmailToken',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('purpose', fields.CharField(max_length=32)),
                ('did', fields.CharField(max_length=2048)),
                ('token', fields.CharField(max_length=16)),
                ('requested_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'email_token', 'app': 'accounts', 'unique_together': (('purpose', 'did'), ('purpose', 'token')), 'pk_attr': 'id', 'table_description': 'A single-use code sent by e-mail for one purpose (confirm e-mail, reset password...).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='InviteCode',
            fields=[
                ('code', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=128)),
                ('available_uses', fields.IntField()),
                ('disabled', fields.BooleanField(default=False)),
                ('for_account', fields.CharField(db_index=True, max_length=2048)),
                ('created_by', fields.CharField(max_length=2048)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'invite_code', 'app': 'accounts', 'pk_attr': 'code', 'table_description': 'An invite code: how many accounts it can still create, and who it belongs to.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='InviteCodeUse',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(db_index=True, max_length=128)),
                ('used_by', fields.CharField(max_length=2048)),
                ('used_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'invite_code_use', 'app': 'accounts', 'unique_together': (('code', 'used_by'),), 'pk_attr': 'id', 'table_description': 'One account created with an invite code.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RefreshToken',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('did', fields.CharField(db_index=True, max_length=2048)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('app_password_name', fields.CharField(null=True, max_length=64)),
                ('next_id', fields.CharField(null=True, max_length=64)),
            ],
            options={'table': 'refresh_token', 'app': 'accounts', 'pk_attr': 'id', 'table_description': 'A refresh token that has been issued and not revoked (``id`` is its ``jti``).'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Account',
            name='invites_disabled',
            field=fields.BooleanField(default=False),
        ),
    ]
