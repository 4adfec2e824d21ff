from django.db import migrations, models

from models_app.naming import name_normalize


def fill_normalized_names(apps, schema_editor):
    RegisteredModel = apps.get_model("models_app", "RegisteredModel")
    seen: dict[str, str] = {}
    for model in RegisteredModel.objects.order_by("id").only("id", "name"):
        normalized = name_normalize(model.name)
        if normalized in seen:
            raise RuntimeError(
                f"Registered models {seen[normalized]!r} and {model.name!r} differ only in case, width, spacing "
                "or invisible characters; rename one of them before upgrading."
            )
        seen[normalized] = model.name
        RegisteredModel.objects.filter(pk=model.pk).update(normalized_name=normalized)


class Migration(migrations.Migration):
    dependencies = [("models_app", "0004_run_index_in_default_order")]

    operations = [
        migrations.AddField(
            model_name="registeredmodel", name="normalized_name",
            field=models.CharField(max_length=256, default=""), preserve_default=False,
        ),
        migrations.RunPython(fill_normalized_names, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="registeredmodel", name="normalized_name", field=models.CharField(max_length=256, unique=True),
        ),
    ]
