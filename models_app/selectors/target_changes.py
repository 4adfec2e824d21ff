"""The version page's stage and alias panel: what a chosen change is, whether a policy governs it, and what the
confirmation step says, before anything is written. The writes stay in the stage and alias services and the
governance hook; this only reads."""
from dataclasses import dataclass, field

from ..choices import Stage
from ..exceptions import InvalidParameter
from ..governance import Protection
from ..models import ModelVersion, RegisteredModelAlias
from ..services.stages import alias_validate, stage_parse

REQUEST_PROMOTION = "Request promotion"
REQUEST_REMOVAL = "Request removal"
CONFIRM_CHANGE = "Confirm change"


@dataclass
class TargetChange:
    """One change chosen on the panel: a stage, an alias to point at the version, or an alias to remove."""

    version: ModelVersion
    stage: str = ""
    alias: str = ""
    remove_alias: bool = False
    protection: Protection | None = None
    governed: bool = False
    leaving: bool = False  # out of a protected stage, or removing a protected alias
    # Protected aliases on the version the promotion archives (policy archive_previous): offered to move along.
    stranded_aliases: list[str] = field(default_factory=list)

    @property
    def button(self) -> str:
        if not self.governed:
            return CONFIRM_CHANGE
        return REQUEST_REMOVAL if self.leaving else REQUEST_PROMOTION

    @property
    def summary(self) -> str:
        number = self.version.version
        parts = []
        if self.stage:
            parts.append(f"move version {number} from {self.version.stage} to {self.stage}")
        if self.remove_alias:
            parts.append(f"remove @{self.alias} from version {number}")
        elif self.alias:
            parts.append(f"point @{self.alias} at version {number}")
        text = " and ".join(parts)
        return text[:1].upper() + text[1:]


def target_change_plan(*, version: ModelVersion, protection: Protection | None, stage: str = "", alias: str = "",
                       remove_alias: bool = False) -> TargetChange:
    """Read the panel's choice; refuse what cannot be asked for as one change (nothing, the current stage, a
    protected and an unprotected target together)."""
    stage = stage_parse(stage).value if stage else ""
    alias = alias_validate(alias) if alias else ""
    if not stage and not alias:
        raise InvalidParameter("Choose a stage or an alias first.")
    if stage and stage == version.stage:
        raise InvalidParameter(f"Version {version.version} is already in {stage}.")
    change = TargetChange(version=version, stage=stage, alias=alias, remove_alias=remove_alias and bool(alias),
                          protection=protection)
    stage_governed = bool(stage) and protection is not None and (
        protection.protects_stage(stage) or protection.protects_stage(version.stage))
    alias_governed = bool(alias) and protection is not None and protection.protects_alias(alias)
    if stage and alias and stage_governed != alias_governed:
        protected = stage if stage_governed else f"@{alias}"
        raise InvalidParameter(f"Only {protected} is protected: change the other one on its own, then ask for "
                               f"{protected}.")
    if stage and alias and not (stage_governed and protection.protects_stage(stage)):
        raise InvalidParameter("Change the stage and the alias one at a time; only a promotion into a protected "
                               "stage and a protected alias can be asked for together.")
    change.governed = stage_governed or alias_governed
    change.leaving = change.remove_alias or (stage_governed and not protection.protects_stage(stage))
    if change.governed and stage and not change.leaving and not alias:
        change.stranded_aliases = _aliases_left_behind(version, stage, protection)
    return change


def _aliases_left_behind(version: ModelVersion, stage: str, protection: Protection) -> list[str]:
    """Protected aliases on the versions now in `stage`, which a promotion archives: they would point at an Archived
    version afterwards unless moved in the same request."""
    if not protection.archive_previous or stage not in (Stage.PRODUCTION, Stage.STAGING):
        return []
    return sorted(RegisteredModelAlias.objects.filter(
        registered_model_id=version.registered_model_id, model_version__stage=stage, alias__in=protection.aliases,
    ).exclude(model_version=version).values_list("alias", flat=True))


def alias_warnings(aliases) -> list[str]:
    """"@champion points at v1, which is Archived" for each alias on an Archived version (aliases with their
    versions loaded)."""
    return [f"@{alias.alias} points at v{alias.model_version.version}, which is Archived"
            for alias in aliases if alias.model_version.stage == Stage.ARCHIVED]


def panel_marks(version: ModelVersion, protection: Protection | None, aliases: list) -> dict:
    """What the panel marks with a lock: the stages to choose from, the version's aliases, the current stage."""
    def locked_stage(stage: str) -> bool:
        return protection is not None and (protection.protects_stage(stage) or protection.protects_stage(version.stage))

    return {
        "stage_options": [{"value": stage.value, "label": stage.label, "protected": locked_stage(stage)}
                          for stage in Stage if stage != version.stage],
        "current_stage_protected": protection is not None and protection.protects_stage(version.stage),
        "alias_rows": [{"alias": alias.alias, "protected": protection is not None
                        and protection.protects_alias(alias.alias)} for alias in aliases],
        "protected_aliases": list(protection.aliases) if protection is not None else [],
    }
