import uuid

from django.db import migrations, models


class Migration(migrations.Migration):
    operations = [
        migrations.CreateModel(name="Order", fields=[("id", models.UUIDField(default=uuid.uuid4))]),
    ]
