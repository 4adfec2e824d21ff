// The lineage graph (cytoscape + dagre layout), drawn from the JSON endpoint; a click opens the node's page.
(function () {
  "use strict";
  var container = document.getElementById("lineage-graph");
  if (!container || typeof cytoscape === "undefined") { return; }
  if (typeof cytoscapeDagre !== "undefined") { cytoscape.use(cytoscapeDagre); }
  var COLOURS = { experiment: "#64748b", dataset: "#0891b2", run: "#2563eb", logged_model: "#9333ea",
                  version: "#16a34a", stage: "#ea580c", alias: "#ca8a04" };

  function elements(graph) {
    var nodes = graph.nodes.map(function (node) { return { data: node }; });
    var edges = graph.edges.map(function (edge) {
      return { data: { id: edge.source + "->" + edge.target, source: edge.source, target: edge.target } };
    });
    return nodes.concat(edges);
  }

  function draw(graph) {
    var cy = cytoscape({
      container: container,
      elements: elements(graph),
      layout: { name: "dagre", rankDir: "LR", nodeSep: 30, rankSep: 140, padding: 30 },
      // A small graph would otherwise be zoomed until its labels overlap.
      maxZoom: 1.3,
      minZoom: 0.2,
      wheelSensitivity: 0.3,
      style: [
        { selector: "node", style: { "label": "data(label)", "background-color": function (node) { return COLOURS[node.data("kind")] || "#475569"; },
          "color": "#0f172a", "font-size": 11, "text-valign": "bottom", "text-margin-y": 4, "width": 18, "height": 18,
          "text-wrap": "wrap", "text-max-width": 120 } },
        { selector: "node[kind = 'stage']", style: { "shape": "round-rectangle", "width": 26 } },
        { selector: "node[kind = 'alias']", style: { "shape": "tag", "width": 22 } },
        { selector: "edge", style: { "width": 1.5, "line-color": "#94a3b8", "target-arrow-color": "#94a3b8",
          "target-arrow-shape": "triangle", "curve-style": "bezier" } }
      ]
    });
    cy.on("tap", "node", function (event) {
      var url = event.target.data("url");
      if (url) { window.location.assign(url); }
    });
    container.dataset.ready = "true";
  }

  fetch(container.dataset.graphUrl, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
    .then(function (response) { return response.json(); })
    .then(draw)
    .catch(function (error) { container.textContent = "The graph could not be drawn: " + error; });
})();
