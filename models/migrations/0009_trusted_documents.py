from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields


# Trusted documents (server/trusted/): the built-in manifest's rows are written by
# `quartier migrate` after the migrations, since they change with the contract.
class Migration(migrations.Migration):
    dependencies = [('quartier', '0008_media')]

    initial = False

    operations = [
        ops.CreateModel(
            name='TrustedDocument',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=71)),
                ('body', fields.TextField(unique=False)),
                ('operation_names', fields.CharField(default='', max_length=1000)),
                ('origin', fields.CharField(max_length=300)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'trusted_document', 'app': 'quartier', 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
