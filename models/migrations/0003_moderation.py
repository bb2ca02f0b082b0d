from tortoise import migrations
from tortoise.migrations import operations as ops
from models.city import NotificationKind
from models.moderation import AppealStatus, ModerationKind, SubjectType
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

# The moderation log is append-only: no UPDATE or DELETE, whoever asks, API or not.
_SQLITE_GUARD = [
    "CREATE TRIGGER moderation_action_no_update BEFORE UPDATE ON moderation_action"
    " BEGIN SELECT RAISE(ABORT, 'moderation_action is append-only'); END",
    "CREATE TRIGGER moderation_action_no_delete BEFORE DELETE ON moderation_action"
    " BEGIN SELECT RAISE(ABORT, 'moderation_action is append-only'); END",
]
_POSTGRES_GUARD = [
    "CREATE FUNCTION moderation_action_append_only() RETURNS trigger LANGUAGE plpgsql AS"
    " $$ BEGIN RAISE EXCEPTION 'moderation_action is append-only'; END $$",
    "CREATE TRIGGER moderation_action_append_only BEFORE UPDATE OR DELETE ON moderation_action"
    " FOR EACH ROW EXECUTE FUNCTION moderation_action_append_only()",
    "CREATE TRIGGER moderation_action_no_truncate BEFORE TRUNCATE ON moderation_action"
    " FOR EACH STATEMENT EXECUTE FUNCTION moderation_action_append_only()",
]


async def install_append_only_guard(apps, schema_editor):
    postgres = schema_editor.client.capabilities.dialect == "postgres"
    for statement in _POSTGRES_GUARD if postgres else _SQLITE_GUARD:
        await schema_editor.client.execute_script(statement)


async def remove_append_only_guard(apps, schema_editor):
    if schema_editor.client.capabilities.dialect == "postgres":
        statements = [
            "DROP TRIGGER moderation_action_no_truncate ON moderation_action",
            "DROP TRIGGER moderation_action_append_only ON moderation_action",
            "DROP FUNCTION moderation_action_append_only()",
        ]
    else:
        statements = [
            "DROP TRIGGER moderation_action_no_update",
            "DROP TRIGGER moderation_action_no_delete",
        ]
    for statement in statements:
        await schema_editor.client.execute_script(statement)


class Migration(migrations.Migration):
    dependencies = [('quartier', '0002_city')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ModerationAction',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('moderator', fields.ForeignKeyField('quartier.Account', source_field='moderator_id', null=True, db_constraint=True, to_field='id', related_name='moderation_actions', on_delete=OnDelete.RESTRICT)),
                ('kind', fields.CharEnumField(description='HIDE_CONTENT: HIDE_CONTENT\nRESTORE_CONTENT: RESTORE_CONTENT\nDISMISS_REPORTS: DISMISS_REPORTS\nSUSPEND_ACCOUNT: SUSPEND_ACCOUNT\nREINSTATE_ACCOUNT: REINSTATE_ACCOUNT\nAPPEAL_ACCEPTED: APPEAL_ACCEPTED\nAPPEAL_REJECTED: APPEAL_REJECTED', enum_type=ModerationKind, max_length=20)),
                ('subject_type', fields.CharEnumField(description='POST: POST\nCOMMENT: COMMENT\nMESSAGE: MESSAGE\nACCOUNT: ACCOUNT\nREPORT: REPORT', enum_type=SubjectType, max_length=10)),
                ('subject_id', fields.IntField()),
                ('affected_account', fields.ForeignKeyField('quartier.Account', source_field='affected_account_id', null=True, db_constraint=True, to_field='id', related_name='moderation_received', on_delete=OnDelete.RESTRICT)),
                ('reason', fields.TextField(unique=False)),
                ('until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'moderation_action', 'app': 'quartier', 'indexes': [Index(fields=['created_at', 'id']), Index(fields=['subject_type', 'subject_id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Appeal',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('action', fields.OneToOneField('quartier.ModerationAction', source_field='action_id', db_constraint=True, to_field='id', related_name='appeal', on_delete=OnDelete.RESTRICT)),
                ('account', fields.ForeignKeyField('quartier.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='appeals', on_delete=OnDelete.CASCADE)),
                ('message', fields.TextField(unique=False)),
                ('status', fields.CharEnumField(default=AppealStatus.OPEN, description='OPEN: OPEN\nACCEPTED: ACCEPTED\nREJECTED: REJECTED', enum_type=AppealStatus, max_length=10)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'appeal', 'app': 'quartier', 'indexes': [Index(fields=['status', 'created_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Account',
            name='suspended_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Comment',
            name='hidden_reason',
            field=fields.TextField(null=True, unique=False),
        ),
        ops.AddField(
            model_name='Message',
            name='hidden_reason',
            field=fields.TextField(null=True, unique=False),
        ),
        ops.AlterField(
            model_name='Notification',
            name='kind',
            field=fields.CharEnumField(description='ANNOUNCEMENT: ANNOUNCEMENT\nMODERATION: MODERATION', enum_type=NotificationKind, max_length=20),
        ),
        ops.AddField(
            model_name='Notification',
            name='moderation_action',
            field=fields.ForeignKeyField('quartier.ModerationAction', source_field='moderation_action_id', null=True, db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE),
        ),
        ops.AddField(
            model_name='Post',
            name='hidden_reason',
            field=fields.TextField(null=True, unique=False),
        ),
        ops.RunPython(install_append_only_guard, remove_append_only_guard),
    ]
