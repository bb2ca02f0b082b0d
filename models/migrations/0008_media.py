from tortoise import migrations
from tortoise.migrations import operations as ops
from models.city import NotificationKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index


# Full-text search over what neighbours wrote (resolvers/search/). Hidden and deleted posts and
# comments are left out of the index itself, not only filtered at query time.
#
# PostgreSQL: French and Dutch configurations whose word dictionaries first fold accents
# (the unaccent extension used as a dictionary, so `to_tsvector(regconfig, text)` stays
# IMMUTABLE and may feed a generated column: calling the STABLE unaccent() function there
# would need an IMMUTABLE wrapper instead), then stem. Each document is indexed in both
# languages; a query is matched in both. A search is always within one neighbourhood: the
# posts' GIN index leads with neighbourhood_id (btree_gin), so a search reads only that
# neighbourhood's matches (measured on 1,000,000 posts: bench/search.py).
_POSTGRES_SEARCH = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE EXTENSION IF NOT EXISTS btree_gin",
    "CREATE TEXT SEARCH CONFIGURATION quartier_fr (COPY = french)",
    "ALTER TEXT SEARCH CONFIGURATION quartier_fr"
    " ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem",
    "CREATE TEXT SEARCH CONFIGURATION quartier_nl (COPY = dutch)",
    "ALTER TEXT SEARCH CONFIGURATION quartier_nl"
    " ALTER MAPPING FOR hword, hword_part, word WITH unaccent, dutch_stem",
    "ALTER TABLE post ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
    " CASE WHEN deleted_at IS NULL AND hidden_at IS NULL THEN"
    " setweight(to_tsvector('quartier_fr'::regconfig, title), 'A')"
    " || setweight(to_tsvector('quartier_fr'::regconfig, body), 'B')"
    " || setweight(to_tsvector('quartier_nl'::regconfig, title), 'A')"
    " || setweight(to_tsvector('quartier_nl'::regconfig, body), 'B') END) STORED",
    "CREATE INDEX post_search_vector ON post USING GIN (neighbourhood_id, search_vector)",
    "ALTER TABLE comment ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
    " CASE WHEN deleted_at IS NULL AND hidden_at IS NULL THEN"
    " to_tsvector('quartier_fr'::regconfig, body)"
    " || to_tsvector('quartier_nl'::regconfig, body) END) STORED",
    "CREATE INDEX comment_search_vector ON comment USING GIN (search_vector)",
]
_POSTGRES_SEARCH_DOWN = [
    "DROP INDEX comment_search_vector",
    "ALTER TABLE comment DROP COLUMN search_vector",
    "DROP INDEX post_search_vector",
    "ALTER TABLE post DROP COLUMN search_vector",
    "DROP TEXT SEARCH CONFIGURATION quartier_nl",
    "DROP TEXT SEARCH CONFIGURATION quartier_fr",
]


def _sqlite_index(table, columns):
    """FTS5 over `table` (external content: the text stays in the table, the index holds
    tokens), kept in step by triggers that index only visible rows."""
    cols = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    visible = "{0}.deleted_at IS NULL AND {0}.hidden_at IS NULL"
    fts = f"{table}_fts"
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5({cols}, content='{table}', content_rowid='id',"
        " tokenize = 'unicode61 remove_diacritics 2')",
        f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} WHEN {visible.format('new')}"
        f" BEGIN INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END",
        f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} WHEN {visible.format('old')}"
        f" BEGIN INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); END",
        f"CREATE TRIGGER {fts}_update AFTER UPDATE OF {cols}, deleted_at, hidden_at ON {table}"
        f" BEGIN INSERT INTO {fts}({fts}, rowid, {cols})"
        f" SELECT 'delete', old.id, {old} WHERE {visible.format('old')};"
        f" INSERT INTO {fts}(rowid, {cols}) SELECT new.id, {new} WHERE {visible.format('new')};"
        " END",
        f"INSERT INTO {fts}(rowid, {cols}) SELECT id, {cols} FROM {table}"
        f" WHERE deleted_at IS NULL AND hidden_at IS NULL",
    ]


_SQLITE_SEARCH = [*_sqlite_index("post", ["title", "body"]), *_sqlite_index("comment", ["body"])]
_SQLITE_SEARCH_DOWN = [
    f"DROP {kind} {name}"
    for table in ("post", "comment")
    for kind, name in (
        ("TRIGGER", f"{table}_fts_insert"),
        ("TRIGGER", f"{table}_fts_delete"),
        ("TRIGGER", f"{table}_fts_update"),
        ("TABLE", f"{table}_fts"),
    )
]


async def install_search(apps, schema_editor):
    postgres = schema_editor.client.capabilities.dialect == "postgres"
    for statement in _POSTGRES_SEARCH if postgres else _SQLITE_SEARCH:
        await schema_editor.client.execute_script(statement)


async def remove_search(apps, schema_editor):
    postgres = schema_editor.client.capabilities.dialect == "postgres"
    for statement in _POSTGRES_SEARCH_DOWN if postgres else _SQLITE_SEARCH_DOWN:
        await schema_editor.client.execute_script(statement)


class Migration(migrations.Migration):
    dependencies = [('quartier', '0007_privacy')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Event',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('post', fields.OneToOneField('quartier.Post', source_field='post_id', db_constraint=True, to_field='id', related_name='event', on_delete=OnDelete.CASCADE)),
                ('neighbourhood', fields.ForeignKeyField('quartier.Neighbourhood', source_field='neighbourhood_id', db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.RESTRICT)),
                ('starts_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ends_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('place', fields.CharField(max_length=200)),
                ('street', fields.ForeignKeyField('quartier.Street', source_field='street_id', null=True, db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.RESTRICT)),
                ('attendee_count', fields.IntField(default=0)),
            ],
            options={'table': 'event', 'app': 'quartier', 'indexes': [Index(fields=['neighbourhood_id', 'starts_at', 'post_id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='EventAttendee',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('event', fields.ForeignKeyField('quartier.Event', source_field='event_id', db_constraint=True, to_field='id', related_name='attendees', on_delete=OnDelete.CASCADE)),
                ('account', fields.ForeignKeyField('quartier.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='attendances', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'event_attendee', 'app': 'quartier', 'unique_together': (('event', 'account'),), 'indexes': [Index(fields=['event_id', 'created_at', 'id']), Index(fields=['account_id', 'event_id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Photo',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('owner', fields.ForeignKeyField('quartier.Account', source_field='owner_id', null=True, db_constraint=True, to_field='id', related_name='photos', on_delete=OnDelete.SET_NULL)),
                ('post', fields.ForeignKeyField('quartier.Post', source_field='post_id', null=True, db_constraint=True, to_field='id', related_name='photos', on_delete=OnDelete.SET_NULL)),
                ('message', fields.ForeignKeyField('quartier.Message', source_field='message_id', null=True, db_constraint=True, to_field='id', related_name='photos', on_delete=OnDelete.SET_NULL)),
                ('position', fields.SmallIntField(default=0)),
                ('storage_key', fields.CharField(unique=True, max_length=64)),
                ('width', fields.IntField()),
                ('height', fields.IntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('deleted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'photo', 'app': 'quartier', 'indexes': [Index(fields=['post_id', 'message_id', 'created_at']), Index(fields=['message_id']), Index(fields=['deleted_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='Notification',
            name='kind',
            field=fields.CharEnumField(description='ANNOUNCEMENT: ANNOUNCEMENT\nMODERATION: MODERATION\nEVENT_CHANGED: EVENT_CHANGED', enum_type=NotificationKind, max_length=20),
        ),
        ops.AddField(
            model_name='Notification',
            name='post',
            field=fields.ForeignKeyField('quartier.Post', source_field='post_id', null=True, db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.SET_NULL),
        ),
        ops.RunPython(install_search, remove_search),
    ]
