"""The lineage graph: experiments -> runs (and parent runs, datasets) -> logged models -> versions -> stages and
aliases.

Built from a bounded set of queries (versions with their runs, parent tags, parent runs, dataset inputs, aliases),
so the JSON endpoint costs the same whatever the registry's size, up to MAX_VERSIONS versions.
"""
from dataclasses import dataclass, field

from ..choices import Stage
from ..governance import current_governance
from ..models import ModelVersion, RegisteredModelAlias, Run, RunInput, RunTag
from .registry import registered_models_visible
from .tracking import experiments_readable

MAX_VERSIONS = 500
# Node kinds in the order of the flow, for legends.
NODE_KINDS = ("experiment", "dataset", "run", "logged_model", "version", "stage", "alias")
PARENT_RUN_TAG = "mlflow.parentRunId"


@dataclass
class LineageGraph:
    """Nodes carry `kind` and the identifiers a page URL needs (`ref`); views turn them into links."""

    nodes: dict[str, dict] = field(default_factory=dict)
    edges: set[tuple[str, str]] = field(default_factory=set)

    def node(self, node_id: str, kind: str, label: str, **ref) -> str:
        self.nodes.setdefault(node_id, {"id": node_id, "kind": kind, "label": label, "ref": ref})
        return node_id

    def edge(self, source: str, target: str) -> None:
        self.edges.add((source, target))


def lineage_graph(*, actor, model_name: str = "") -> LineageGraph:
    versions = ModelVersion.objects.filter(registered_model__in=registered_models_visible(actor))
    if model_name:
        versions = versions.filter(registered_model__name=model_name)
    versions = list(versions.select_related("registered_model", "run__experiment", "logged_model")
                    .order_by("-last_updated_timestamp")[:MAX_VERSIONS])
    graph = LineageGraph()
    readable = _readable_experiment_ids(actor, versions)
    for version in versions:
        # Runs and logged models of experiments the actor cannot read are left out of the graph.
        if version.run_id and version.run.experiment_id not in readable:
            version.run_id, version.run = None, None
        if version.logged_model_id and version.logged_model.experiment_id not in readable:
            version.logged_model_id, version.logged_model = None, None
    runs = {version.run_id: version.run for version in versions if version.run_id}
    parents = _add_parent_runs(graph, runs, readable)
    for run in [*runs.values(), *parents]:
        _add_run(graph, run)
    _add_datasets(graph, [*runs, *(parent.pk for parent in parents)])
    for version in versions:
        _add_version(graph, version)
    _add_aliases(graph, versions)
    return graph


def _readable_experiment_ids(actor, versions: list[ModelVersion]) -> set[int]:
    """Of the experiments the versions' runs and logged models belong to, those `actor` may read (one query)."""
    ids = {version.run.experiment_id for version in versions if version.run_id}
    ids |= {version.logged_model.experiment_id for version in versions if version.logged_model_id}
    if not ids or current_governance().readable_experiments_filter(actor) is None:
        return ids
    return set(experiments_readable(actor).filter(pk__in=ids).values_list("pk", flat=True))


def _add_run(graph: LineageGraph, run: Run) -> str:
    experiment = graph.node(f"experiment:{run.experiment_id}", "experiment", run.experiment.name,
                            experiment_id=run.experiment_id)
    node = graph.node(f"run:{run.pk}", "run", run.name or run.pk[:8], run_id=run.pk)
    graph.edge(experiment, node)
    return node


def _add_parent_runs(graph: LineageGraph, runs: dict[str, Run], readable: set[int]) -> list[Run]:
    links = dict(RunTag.objects.filter(run_id__in=list(runs), key=PARENT_RUN_TAG).values_list("run_id", "value"))
    parents = [parent for parent in Run.objects.filter(pk__in=set(links.values())).select_related("experiment")
               if parent.experiment_id in readable]
    known = {parent.pk for parent in parents}
    for child_id, parent_id in links.items():
        if parent_id in known:
            graph.edge(f"run:{parent_id}", f"run:{child_id}")
    return parents


def _add_datasets(graph: LineageGraph, run_ids: list[str]) -> None:
    for run_input in RunInput.objects.filter(run_id__in=run_ids).select_related("dataset"):
        dataset = run_input.dataset
        node = graph.node(f"dataset:{dataset.pk}", "dataset", f"{dataset.name} ({dataset.digest[:8]})",
                          experiment_id=dataset.experiment_id, name=dataset.name)
        graph.edge(node, f"run:{run_input.run_id}")


def _add_version(graph: LineageGraph, version: ModelVersion) -> None:
    name = version.registered_model.name
    node = graph.node(f"version:{name}/{version.version}", "version", f"{name} v{version.version}",
                      name=name, version=version.version)
    upstream = f"run:{version.run_id}" if version.run_id else None
    if version.logged_model_id:
        logged = graph.node(f"logged_model:{version.logged_model_id}", "logged_model",
                            f"{version.logged_model.name} ({version.logged_model_id[:10]})",
                            run_id=version.logged_model.source_run_id or version.run_id or "")
        if upstream:
            graph.edge(upstream, logged)
        upstream = logged
    if upstream:
        graph.edge(upstream, node)
    if version.stage != Stage.NONE:
        stage = graph.node(f"stage:{name}/{version.stage}", "stage", f"{name}: {version.stage}", name=name)
        graph.edge(node, stage)


def _add_aliases(graph: LineageGraph, versions: list[ModelVersion]) -> None:
    aliases = RegisteredModelAlias.objects.filter(model_version__in=[version.pk for version in versions])
    for alias in aliases.select_related("registered_model", "model_version").order_by("alias"):
        name = alias.registered_model.name
        node = graph.node(f"alias:{name}@{alias.alias}", "alias", f"{name}@{alias.alias}", name=name)
        graph.edge(f"version:{name}/{alias.model_version.version}", node)
