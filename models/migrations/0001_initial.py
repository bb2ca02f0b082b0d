from tortoise import migrations
from tortoise.migrations import operations as ops
from models.accounts import LetterStatus, Role
from models.community import PostKind
from models.moderation import ContentType, ReportReason, ReportStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='City',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(unique=True, max_length=120)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'city', 'app': 'quartier', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Neighbourhood',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('city', fields.ForeignKeyField('quartier.City', source_field='city_id', db_constraint=True, to_field='id', related_name='neighbourhoods', on_delete=OnDelete.RESTRICT)),
                ('name', fields.CharField(max_length=120)),
                ('activation_threshold', fields.IntField(default=10)),
                ('activated_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'neighbourhood', 'app': 'quartier', 'unique_together': (('city', 'name'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Conversation',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('neighbourhood', fields.ForeignKeyField('quartier.Neighbourhood', source_field='neighbourhood_id', db_constraint=True, to_field='id', related_name='conversations', on_delete=OnDelete.RESTRICT)),
                ('pair_key', fields.CharField(unique=True, max_length=40)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_message_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'conversation', 'app': 'quartier', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Street',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('neighbourhood', fields.ForeignKeyField('quartier.Neighbourhood', source_field='neighbourhood_id', db_constraint=True, to_field='id', related_name='streets', on_delete=OnDelete.RESTRICT)),
                ('name', fields.CharField(max_length=200)),
                ('search_name', fields.CharField(db_index=True, max_length=200)),
                ('postal_code', fields.CharField(max_length=10)),
            ],
            options={'table': 'street', 'app': 'quartier', 'unique_together': (('neighbourhood', 'name', 'postal_code'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Account',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('email', fields.CharField(null=True, unique=True, max_length=254)),
                ('password_hash', fields.CharField(null=True, max_length=200)),
                ('display_name', fields.CharField(max_length=80)),
                ('role', fields.CharEnumField(description='RESIDENT: RESIDENT\nCITY_STAFF: CITY_STAFF\nCITY_INTEGRATION: CITY_INTEGRATION\nMODERATOR: MODERATOR\nADMIN: ADMIN', enum_type=Role, max_length=20)),
                ('city', fields.ForeignKeyField('quartier.City', source_field='city_id', null=True, db_constraint=True, to_field='id', related_name='accounts', on_delete=OnDelete.RESTRICT)),
                ('street', fields.ForeignKeyField('quartier.Street', source_field='street_id', null=True, db_constraint=True, to_field='id', related_name='residents', on_delete=OnDelete.RESTRICT)),
                ('neighbourhood', fields.ForeignKeyField('quartier.Neighbourhood', source_field='neighbourhood_id', null=True, db_constraint=True, to_field='id', related_name='residents', on_delete=OnDelete.RESTRICT)),
                ('house_number', fields.CharField(null=True, max_length=20)),
                ('verified_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('suspended_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'account', 'app': 'quartier', 'indexes': [Index(fields=['neighbourhood_id', 'verified_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AuthToken',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('quartier.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='tokens', on_delete=OnDelete.CASCADE)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('name', fields.CharField(null=True, unique=True, max_length=80)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'auth_token', 'app': 'quartier', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ConversationParticipant',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('conversation', fields.ForeignKeyField('quartier.Conversation', source_field='conversation_id', db_constraint=True, to_field='id', related_name='participants', on_delete=OnDelete.CASCADE)),
                ('account', fields.ForeignKeyField('quartier.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='conversation_memberships', on_delete=OnDelete.CASCADE)),
                ('last_read_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('unread_count', fields.IntField(default=0)),
            ],
            options={'table': 'conversation_participant', 'app': 'quartier', 'unique_together': (('conversation', 'account'),), 'indexes': [Index(fields=['account_id', 'conversation_id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Post',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('neighbourhood', fields.ForeignKeyField('quartier.Neighbourhood', source_field='neighbourhood_id', db_constraint=True, to_field='id', related_name='posts', on_delete=OnDelete.RESTRICT)),
                ('author', fields.ForeignKeyField('quartier.Account', source_field='author_id', db_constraint=True, to_field='id', related_name='posts', on_delete=OnDelete.RESTRICT)),
                ('kind', fields.CharEnumField(description='DISCUSSION: DISCUSSION\nSERVICE_OFFER: SERVICE_OFFER\nSERVICE_REQUEST: SERVICE_REQUEST\nITEM_GIVEAWAY: ITEM_GIVEAWAY\nITEM_REQUEST: ITEM_REQUEST\nEVENT: EVENT\nLOST_AND_FOUND: LOST_AND_FOUND', enum_type=PostKind, max_length=20)),
                ('title', fields.CharField(max_length=200)),
                ('body', fields.TextField(unique=False)),
                ('share_with_city', fields.BooleanField(default=False)),
                ('version', fields.IntField(default=1)),
                ('comment_count', fields.IntField(default=0)),
                ('reaction_count', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('deleted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('hidden_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'post', 'app': 'quartier', 'indexes': [Index(fields=['neighbourhood_id', 'created_at', 'id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Comment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('post', fields.ForeignKeyField('quartier.Post', source_field='post_id', db_constraint=True, to_field='id', related_name='comments', on_delete=OnDelete.CASCADE)),
                ('author', fields.ForeignKeyField('quartier.Account', source_field='author_id', db_constraint=True, to_field='id', related_name='comments', on_delete=OnDelete.RESTRICT)),
                ('body', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('deleted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('hidden_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'comment', 'app': 'quartier', 'indexes': [Index(fields=['post_id', 'created_at', 'id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Message',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('conversation', fields.ForeignKeyField('quartier.Conversation', source_field='conversation_id', db_constraint=True, to_field='id', related_name='messages', on_delete=OnDelete.CASCADE)),
                ('sender', fields.ForeignKeyField('quartier.Account', source_field='sender_id', db_constraint=True, to_field='id', related_name='sent_messages', on_delete=OnDelete.RESTRICT)),
                ('about_post', fields.ForeignKeyField('quartier.Post', source_field='about_post_id', null=True, db_constraint=True, to_field='id', related_name='messages_about', on_delete=OnDelete.SET_NULL)),
                ('body', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('hidden_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'message', 'app': 'quartier', 'indexes': [Index(fields=['conversation_id', 'created_at', 'id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Reaction',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('post', fields.ForeignKeyField('quartier.Post', source_field='post_id', db_constraint=True, to_field='id', related_name='reactions', on_delete=OnDelete.CASCADE)),
                ('account', fields.ForeignKeyField('quartier.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='reactions', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'reaction', 'app': 'quartier', 'unique_together': (('post', 'account'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Report',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('reporter', fields.ForeignKeyField('quartier.Account', source_field='reporter_id', db_constraint=True, to_field='id', related_name='reports', on_delete=OnDelete.CASCADE)),
                ('content_type', fields.CharEnumField(description='POST: POST\nCOMMENT: COMMENT\nMESSAGE: MESSAGE', enum_type=ContentType, max_length=10)),
                ('content_id', fields.IntField()),
                ('reason', fields.CharEnumField(description='SPAM: SPAM\nHARASSMENT: HARASSMENT\nHATE: HATE\nPRIVACY: PRIVACY\nILLEGAL: ILLEGAL\nOTHER: OTHER', enum_type=ReportReason, max_length=12)),
                ('note', fields.TextField(null=True, unique=False)),
                ('status', fields.CharEnumField(default=ReportStatus.OPEN, description='OPEN: OPEN\nRESOLVED: RESOLVED\nDISMISSED: DISMISSED', enum_type=ReportStatus, max_length=10)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'report', 'app': 'quartier', 'unique_together': (('reporter', 'content_type', 'content_id'),), 'indexes': [Index(fields=['status', 'created_at']), Index(fields=['content_type', 'content_id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Topic',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('city', fields.ForeignKeyField('quartier.City', source_field='city_id', db_constraint=True, to_field='id', related_name='topics', on_delete=OnDelete.RESTRICT)),
                ('slug', fields.CharField(max_length=40)),
                ('label', fields.CharField(max_length=80)),
            ],
            options={'table': 'topic', 'app': 'quartier', 'unique_together': (('city', 'slug'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PostTopic',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('post', fields.ForeignKeyField('quartier.Post', source_field='post_id', db_constraint=True, to_field='id', related_name='post_topics', on_delete=OnDelete.CASCADE)),
                ('topic', fields.ForeignKeyField('quartier.Topic', source_field='topic_id', db_constraint=True, to_field='id', related_name='post_topics', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'post_topic', 'app': 'quartier', 'unique_together': (('post', 'topic'),), 'indexes': [Index(fields=['topic_id', 'post_id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='VerificationLetter',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('quartier.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='letters', on_delete=OnDelete.CASCADE)),
                ('code', fields.CharField(max_length=16)),
                ('status', fields.CharEnumField(default=LetterStatus.PENDING, description='PENDING: PENDING\nUSED: USED\nLOCKED: LOCKED\nREPLACED: REPLACED', enum_type=LetterStatus, max_length=10)),
                ('failed_attempts', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'verification_letter', 'app': 'quartier', 'indexes': [Index(fields=['status', 'created_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
