"""A policy's settings in words, for pages: the policy panel of model and version pages and the snapshot a review
request was judged by. One place, so a setting reads the same everywhere (never as a Python repr)."""
from .validation.thresholds import champion_rule_describe, format_number

_ON = {"run": "on the source run", "datasets": "on the validation datasets", "both": "on the source run and datasets"}


def policy_terms(snapshot: dict) -> list[tuple[str, str]]:
    """[(term, description)] of a policy snapshot (ApprovalPolicy.snapshot(), or a request's frozen copy)."""
    pattern = snapshot.get("model_pattern", "")
    terms = [
        ("Policy", snapshot.get("name", "")),
        ("Applies to", "every model (registry-wide default)" if snapshot.get("global")
         else f"models matching “{pattern}”"),
        ("Protected stages", _listed(snapshot.get("protected_stages"))),
        ("Protected aliases", _listed([f"@{alias}" for alias in snapshot.get("protected_aliases") or []])),
        ("Approvals needed", _approvals(snapshot)),
        ("Requester may approve", "yes" if snapshot.get("allow_self_approval") else "no (separation of duties)"),
        ("Validation", "must pass before the change is applied" if snapshot.get("require_validation")
         else "runs as evidence; not required to pass"),
        ("On promotion", "the previous version in the stage is archived (its aliases stay where they are)"
         if snapshot.get("archive_previous") else "the previous version keeps its stage"),
    ]
    terms += [("Metric threshold", threshold_text(rule)) for rule in snapshot.get("metric_thresholds") or []]
    terms += [("Against the champion", champion_text(rule)) for rule in snapshot.get("champion_thresholds") or []]
    terms += [("Validation dataset", dataset_text(dataset)) for dataset in snapshot.get("validation_datasets") or []]
    return terms


def _listed(values) -> str:
    return ", ".join(values) if values else "none"


def _approvals(snapshot: dict) -> str:
    count = snapshot.get("required_approvals", 1)
    who = (f"members of group “{snapshot['approver_group']}”" if snapshot.get("approver_group")
           else "users who manage the target stage on the model")
    return f"{count} approval{'s' if count != 1 else ''} from {who}"


def threshold_text(rule: dict) -> str:
    return f"{rule['metric']} {rule['op']} {format_number(rule['value'])} {_ON.get(rule.get('on', 'both'), '')}"


def champion_text(rule: dict) -> str:
    direction = "higher is better" if rule.get("greater_is_better") else "lower is better"
    return f"{rule['metric']} ({direction}): {champion_rule_describe(rule, None)} {_ON.get(rule.get('on', 'both'), '')}"


def dataset_text(dataset: dict) -> str:
    digest = dataset.get("content_hash", "")
    return (f"{dataset.get('name', '')} ({dataset.get('task_type', '')}, "
            f"target column “{dataset.get('target_column', '')}”, hash {digest[:12]})")
