from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

# What existing rows need under the new rules: the read count kept on the announcement, the
# automatic hiding reason without its report count, and no words left behind a deleted_at.
_DATA = [
    "UPDATE announcement SET read_count = (SELECT COUNT(*) FROM notification n"
    " WHERE n.announcement_id = announcement.id AND n.read_at IS NOT NULL)",
    *(
        f"UPDATE {table} SET hidden_reason = 'Masqué en attente de la décision d''un modérateur.'"
        f" WHERE hidden_reason LIKE 'Masqué automatiquement après %'"
        for table in ("post", "comment", "message")
    ),
    "UPDATE post SET title = '', body = '' WHERE deleted_at IS NOT NULL",
    "UPDATE comment SET body = '' WHERE deleted_at IS NOT NULL"
    " OR post_id IN (SELECT id FROM post WHERE deleted_at IS NOT NULL)",
]


async def update_rows(apps, schema_editor):
    if schema_editor.client.capabilities.dialect == "sqlite":
        # SQLite rebuilds consultation_answer to make account_id nullable, and the rebuild
        # drops its unique (consultation, account) constraint: one answer per resident.
        await schema_editor.client.execute_script(
            "CREATE UNIQUE INDEX IF NOT EXISTS uid_consultation_answer_account"
            " ON consultation_answer (consultation_id, account_id)"
        )
    for statement in _DATA:
        await schema_editor.client.execute_script(statement)


async def nothing_to_undo(apps, schema_editor):
    pass


class Migration(migrations.Migration):
    dependencies = [('quartier', '0006_mail')]

    initial = False

    operations = [
        ops.CreateModel(
            name='InsightDay',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('neighbourhood', fields.ForeignKeyField('quartier.Neighbourhood', source_field='neighbourhood_id', db_constraint=True, to_field='id', related_name='insight_days', on_delete=OnDelete.RESTRICT)),
                ('topic', fields.ForeignKeyField('quartier.Topic', source_field='topic_id', db_constraint=True, to_field='id', related_name='insight_days', on_delete=OnDelete.RESTRICT)),
                ('day', fields.DateField()),
                ('posts', fields.IntField(default=0)),
                ('comments', fields.IntField(default=0)),
                ('reactions', fields.IntField(default=0)),
            ],
            options={'table': 'insight_day', 'app': 'quartier', 'unique_together': (('neighbourhood', 'topic', 'day'),), 'indexes': [Index(fields=['day', 'neighbourhood_id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Account',
            name='erased_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Announcement',
            name='read_count',
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='Announcement',
            name='audience_suppressed',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='City',
            name='time_zone',
            field=fields.CharField(default='Europe/Brussels', db_default='Europe/Brussels', max_length=64),
        ),
        ops.AlterField(
            model_name='ConsultationAnswer',
            name='account',
            field=fields.ForeignKeyField('quartier.Account', source_field='account_id', null=True, db_constraint=True, to_field='id', related_name='consultation_answers', on_delete=OnDelete.CASCADE),
        ),
        ops.AddField(
            model_name='Neighbourhood',
            name='insights_frozen_until',
            field=fields.DateField(null=True),
        ),
        ops.RunPython(update_rows, nothing_to_undo),
    ]
