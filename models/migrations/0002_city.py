from tortoise import migrations
from tortoise.migrations import operations as ops
from models.city import AnnouncementKind, NotificationKind, TargetScope
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('quartier', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Announcement',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('city', fields.ForeignKeyField('quartier.City', source_field='city_id', db_constraint=True, to_field='id', related_name='announcements', on_delete=OnDelete.RESTRICT)),
                ('author', fields.ForeignKeyField('quartier.Account', source_field='author_id', db_constraint=True, to_field='id', related_name='announcements', on_delete=OnDelete.RESTRICT)),
                ('kind', fields.CharEnumField(description='INFO: INFO\nALERT: ALERT\nWORKS: WORKS\nMOBILITY: MOBILITY\nPROJECT: PROJECT\nCONSULTATION: CONSULTATION', enum_type=AnnouncementKind, max_length=20)),
                ('title', fields.CharField(max_length=200)),
                ('body', fields.TextField(unique=False)),
                ('scope', fields.CharEnumField(description='CITY: CITY\nNEIGHBOURHOODS: NEIGHBOURHOODS\nSTREETS: STREETS', enum_type=TargetScope, max_length=20)),
                ('recipient_count', fields.IntField(default=0)),
                ('published_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'announcement', 'app': 'quartier', 'indexes': [Index(fields=['city_id', 'published_at', 'id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AnnouncementNeighbourhood',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('announcement', fields.ForeignKeyField('quartier.Announcement', source_field='announcement_id', db_constraint=True, to_field='id', related_name='target_neighbourhoods', on_delete=OnDelete.CASCADE)),
                ('neighbourhood', fields.ForeignKeyField('quartier.Neighbourhood', source_field='neighbourhood_id', db_constraint=True, to_field='id', related_name='announcement_targets', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'announcement_neighbourhood', 'app': 'quartier', 'unique_together': (('announcement', 'neighbourhood'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AnnouncementStreet',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('announcement', fields.ForeignKeyField('quartier.Announcement', source_field='announcement_id', db_constraint=True, to_field='id', related_name='target_streets', on_delete=OnDelete.CASCADE)),
                ('street', fields.ForeignKeyField('quartier.Street', source_field='street_id', db_constraint=True, to_field='id', related_name='announcement_targets', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'announcement_street', 'app': 'quartier', 'unique_together': (('announcement', 'street'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Consultation',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('announcement', fields.OneToOneField('quartier.Announcement', source_field='announcement_id', db_constraint=True, to_field='id', related_name='consultation', on_delete=OnDelete.CASCADE)),
                ('question', fields.CharField(max_length=300)),
                ('closes_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'consultation', 'app': 'quartier', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ConsultationOption',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('consultation', fields.ForeignKeyField('quartier.Consultation', source_field='consultation_id', db_constraint=True, to_field='id', related_name='options', on_delete=OnDelete.CASCADE)),
                ('label', fields.CharField(max_length=200)),
                ('position', fields.IntField()),
            ],
            options={'table': 'consultation_option', 'app': 'quartier', 'unique_together': (('consultation', 'position'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ConsultationAnswer',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('consultation', fields.ForeignKeyField('quartier.Consultation', source_field='consultation_id', db_constraint=True, to_field='id', related_name='answers', on_delete=OnDelete.CASCADE)),
                ('option', fields.ForeignKeyField('quartier.ConsultationOption', source_field='option_id', db_constraint=True, to_field='id', related_name='answers', on_delete=OnDelete.CASCADE)),
                ('account', fields.ForeignKeyField('quartier.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='consultation_answers', on_delete=OnDelete.CASCADE)),
                ('neighbourhood', fields.ForeignKeyField('quartier.Neighbourhood', source_field='neighbourhood_id', db_constraint=True, to_field='id', related_name='consultation_answers', on_delete=OnDelete.RESTRICT)),
                ('answered_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'consultation_answer', 'app': 'quartier', 'unique_together': (('consultation', 'account'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Notification',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('quartier.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='ANNOUNCEMENT: ANNOUNCEMENT', enum_type=NotificationKind, max_length=20)),
                ('announcement', fields.ForeignKeyField('quartier.Announcement', source_field='announcement_id', null=True, db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('read_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'notification', 'app': 'quartier', 'unique_together': (('account', 'announcement'),), 'indexes': [Index(fields=['account_id', 'created_at', 'id']), Index(fields=['announcement_id', 'read_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
