from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('quartier', '0003_moderation')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Comment',
            index=Index(fields=['created_at', 'post_id', 'deleted_at', 'hidden_at']),
        ),
        ops.AddIndex(
            model_name='Reaction',
            index=Index(fields=['created_at', 'post_id']),
        ),
    ]
