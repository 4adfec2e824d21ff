"""The lineage graph page and the JSON it is drawn from."""
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from ..selectors.lineage import NODE_KINDS, lineage_graph

# Which page a node of each kind opens.
_NODE_PAGES = {
    "experiment": lambda ref: reverse("models_app:experiment", args=[ref["experiment_id"]]),
    "run": lambda ref: reverse("models_app:run", args=[ref["run_id"]]),
    "logged_model": lambda ref: reverse("models_app:run", args=[ref["run_id"]]) if ref["run_id"] else "",
    "version": lambda ref: reverse("models_app:modelversion", args=[ref["name"], ref["version"]]),
    "stage": lambda ref: reverse("models_app:registeredmodel", args=[ref["name"]]),
    "alias": lambda ref: reverse("models_app:registeredmodel", args=[ref["name"]]),
    "dataset": lambda ref: reverse("models_app:experiment", args=[ref["experiment_id"]]) + "?"
    + urlencode({"filter": f"dataset.name = '{ref['name']}'"}),
}


def _graph_payload(request) -> dict:
    graph = lineage_graph(actor=request.user, model_name=request.GET.get("model", "").strip())
    nodes = [{"id": node["id"], "kind": node["kind"], "label": node["label"],
              "url": _NODE_PAGES[node["kind"]](node["ref"])} for node in graph.nodes.values()]
    edges = [{"source": source, "target": target} for source, target in sorted(graph.edges)]
    return {"nodes": nodes, "edges": edges}


@login_required
@require_GET
def lineage(request):
    """The graph page; its node list doubles as the no-JavaScript view."""
    model_name = request.GET.get("model", "").strip()
    json_url = f"{reverse('models_app:lineage_graph')}?{urlencode({'model': model_name})}"
    graph = _graph_payload(request)
    present = {node["kind"] for node in graph["nodes"]}
    legend = [(kind, kind.replace("_", " ")) for kind in NODE_KINDS if kind in present]
    return render(request, "models_app/lineage.html",
                  {"graph": graph, "legend": legend, "model_name": model_name, "json_url": json_url})


@login_required
@require_GET
def lineage_graph_json(request):
    return JsonResponse(_graph_payload(request))
