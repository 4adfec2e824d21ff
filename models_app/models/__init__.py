"""The registry domain: MLflow's entities plus history and audit."""
from .audit import AuditChainHead, AuditEvent
from .evaluation_datasets import EvaluationDataset, EvaluationDatasetRecord, EvaluationDatasetTag
from .history import AliasTransition, StageTransition
from .logged_models import LoggedModel, LoggedModelMetric, LoggedModelParam, LoggedModelTag
from .registry import ModelVersion, ModelVersionTag, RegisteredModel, RegisteredModelAlias, RegisteredModelTag
from .tokens import ApiToken
from .tracking import (
    Dataset,
    Experiment,
    ExperimentTag,
    LatestMetric,
    Metric,
    Param,
    Run,
    RunInput,
    RunModelInput,
    RunOutput,
    RunTag,
)

__all__ = [
    "AliasTransition",
    "ApiToken",
    "AuditChainHead",
    "AuditEvent",
    "Dataset",
    "EvaluationDataset",
    "EvaluationDatasetRecord",
    "EvaluationDatasetTag",
    "Experiment",
    "ExperimentTag",
    "LatestMetric",
    "LoggedModel",
    "LoggedModelMetric",
    "LoggedModelParam",
    "LoggedModelTag",
    "Metric",
    "ModelVersion",
    "ModelVersionTag",
    "Param",
    "RegisteredModel",
    "RegisteredModelAlias",
    "RegisteredModelTag",
    "Run",
    "RunInput",
    "RunModelInput",
    "RunOutput",
    "RunTag",
    "StageTransition",
]
