from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.mail import MailKind, MailStatus, PreferenceKind, TokenPurpose
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

# The default taxonomy's labels in Dutch and English (server/taxonomy.py seeds new cities).
_TOPIC_LABELS = [
    ("mobilite", "Mobiliteit", "Mobility"),
    ("travaux", "Werken", "Roadworks"),
    ("securite", "Veiligheid", "Safety"),
    ("environnement", "Milieu", "Environment"),
    ("proprete", "Netheid", "Cleanliness"),
    ("entraide", "Burenhulp", "Mutual aid"),
    ("objets", "Voorwerpen", "Items"),
    ("evenements", "Evenementen", "Events"),
]


class Migration(migrations.Migration):
    dependencies = [('quartier', '0004_insight_indexes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AccountToken',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('quartier.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='account_tokens', on_delete=OnDelete.CASCADE)),
                ('purpose', fields.CharEnumField(description='CONFIRM_EMAIL: CONFIRM_EMAIL\nPASSWORD_RESET: PASSWORD_RESET\nCHANGE_EMAIL: CHANGE_EMAIL', enum_type=TokenPurpose, max_length=20)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('email', fields.CharField(max_length=254)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'account_token', 'app': 'quartier', 'indexes': [Index(fields=['account_id', 'purpose', 'created_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NotificationPreference',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('quartier.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='notification_preferences', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='CITY_ALERT: CITY_ALERT\nCITY_ANNOUNCEMENT: CITY_ANNOUNCEMENT', enum_type=PreferenceKind, max_length=20)),
                ('email', fields.BooleanField()),
            ],
            options={'table': 'notification_preference', 'app': 'quartier', 'unique_together': (('account', 'kind'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OutboxMessage',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharEnumField(description='CONFIRM_EMAIL: CONFIRM_EMAIL\nPASSWORD_RESET: PASSWORD_RESET\nPASSWORD_CHANGED: PASSWORD_CHANGED\nEMAIL_CHANGE_CONFIRM: EMAIL_CHANGE_CONFIRM\nEMAIL_CHANGE_NOTICE: EMAIL_CHANGE_NOTICE\nANNOUNCEMENT: ANNOUNCEMENT', enum_type=MailKind, max_length=30)),
                ('account', fields.ForeignKeyField('quartier.Account', source_field='account_id', null=True, db_constraint=True, to_field='id', related_name='outbox_messages', on_delete=OnDelete.CASCADE)),
                ('to_address', fields.CharField(null=True, max_length=254)),
                ('language', fields.CharField(max_length=5)),
                ('announcement', fields.ForeignKeyField('quartier.Announcement', source_field='announcement_id', null=True, db_constraint=True, to_field='id', related_name='outbox_messages', on_delete=OnDelete.CASCADE)),
                ('params', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('status', fields.CharEnumField(default=MailStatus.PENDING, description='PENDING: PENDING\nSENT: SENT\nFAILED: FAILED\nCANCELLED: CANCELLED', enum_type=MailStatus, max_length=10)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('locked_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('claimed_by', fields.CharField(null=True, max_length=32)),
                ('last_error', fields.CharField(null=True, max_length=500)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'outbox_message', 'app': 'quartier', 'indexes': [Index(fields=['status', 'next_attempt_at']), Index(fields=['account_id', 'created_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Account',
            name='email_confirmed_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Account',
            name='language',
            field=fields.CharField(default='fr', db_default='fr', max_length=5),
        ),
        ops.AddField(
            model_name='Topic',
            name='label_en',
            field=fields.CharField(null=True, max_length=80),
        ),
        ops.AddField(
            model_name='Topic',
            name='label_nl',
            field=fields.CharField(null=True, max_length=80),
        ),
            # Addresses registered before confirmation existed were accepted then: they stay reachable.
        ops.RunSQL("UPDATE account SET email_confirmed_at = created_at WHERE email IS NOT NULL"),
        ops.RunSQL(
            [
                (f"UPDATE topic SET label_nl = '{nl}', label_en = '{en}' WHERE slug = '{slug}'")
                for slug, nl, en in _TOPIC_LABELS
            ]
        ),
    ]
