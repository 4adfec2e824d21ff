from django.conf import settings
from django.db import migrations, models

from models_app.naming import name_normalize


def _glob_escape(name: str) -> str:
    return "".join(f"[{char}]" if char in "*?[" else char for char in name)


def patterns_from_models(apps, schema_editor):
    """A model's policy becomes a policy for its exact name; the global one the registry-wide pattern."""
    ApprovalPolicy = apps.get_model("approvals", "ApprovalPolicy")
    for policy in ApprovalPolicy.objects.select_related("registered_model"):
        pattern = _glob_escape(policy.registered_model.name) if policy.registered_model_id else "*"
        ApprovalPolicy.objects.filter(pk=policy.pk).update(model_pattern=pattern,
                                                           normalized_pattern=name_normalize(pattern))


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0002_validation_runs"),
        ("models_app", "0005_registered_model_normalized_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="approvalpolicy", name="approval_policy_one_per_scope"),
        migrations.AddField(model_name="approvalpolicy", name="model_pattern",
                            field=models.CharField(max_length=256, default="*"), preserve_default=False),
        migrations.AddField(model_name="approvalpolicy", name="normalized_pattern",
                            field=models.CharField(max_length=256, default=""), preserve_default=False),
        migrations.RunPython(patterns_from_models, migrations.RunPython.noop),
        migrations.RemoveField(model_name="approvalpolicy", name="registered_model"),
        migrations.RemoveConstraint(
            model_name='reviewrequest',
            name='review_request_one_target',
        ),
        migrations.RemoveConstraint(
            model_name='reviewrequest',
            name='review_request_one_open_per_target',
        ),
        migrations.AddField(
            model_name='reviewrequest',
            name='action',
            field=models.CharField(choices=[('move', 'Move'), ('remove_alias', 'Remove alias'), ('delete_version', 'Delete version'), ('delete_model', 'Delete model'), ('rename_model', 'Rename model')], default='move', max_length=20),
        ),
        migrations.AddField(
            model_name='reviewrequest',
            name='new_name',
            field=models.CharField(blank=True, max_length=256),
        ),
        migrations.AlterField(
            model_name='approvalpolicy',
            name='normalized_pattern',
            field=models.CharField(max_length=256, unique=True),
        ),
        migrations.AlterField(
            model_name='reviewrequest',
            name='version_number',
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AddConstraint(
            model_name='reviewrequest',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('action', 'move'), models.Q(models.Q(('target_stage', ''), models.Q(('target_alias', ''), _negated=True)), models.Q(models.Q(('target_stage', ''), _negated=True), ('target_alias', '')), _connector='OR')), models.Q(('action', 'remove_alias'), ('target_stage', ''), models.Q(('target_alias', ''), _negated=True)), models.Q(('action__in', ['delete_version', 'delete_model']), ('target_alias', ''), ('target_stage', '')), models.Q(('action', 'rename_model'), ('target_alias', ''), ('target_stage', ''), models.Q(('new_name', ''), _negated=True)), _connector='OR'), name='review_request_target_shape'),
        ),
        migrations.AddConstraint(
            model_name='reviewrequest',
            constraint=models.UniqueConstraint(condition=models.Q(('status__in', ['PENDING', 'APPROVED'])), fields=('model_version', 'action', 'target_stage', 'target_alias'), name='review_request_one_open_per_target'),
        ),
        migrations.AddConstraint(
            model_name='reviewrequest',
            constraint=models.UniqueConstraint(condition=models.Q(('action__in', ['delete_model', 'rename_model']), ('status__in', ['PENDING', 'APPROVED'])), fields=('registered_model', 'action'), name='review_request_one_open_per_model_action'),
        ),
    ]
