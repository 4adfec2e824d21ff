// Metric-history charts (uPlot): one chart per metric key, one series per run, drawn from json_script data.
(function () {
  "use strict";
  var COLOURS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#be185d", "#4d7c0f", "#7c2d12", "#334155"];

  function readJson(id) {
    var element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : {};
  }

  // uPlot wants one shared x axis: merge the runs' steps and leave gaps (null) where a run has no point.
  function alignedData(byRun, runIds) {
    var steps = Array.from(new Set(runIds.flatMap(function (id) { return byRun[id][0]; }))).sort(function (a, b) { return a - b; });
    var index = new Map(steps.map(function (step, i) { return [step, i]; }));
    var series = runIds.map(function (id) {
      var values = new Array(steps.length).fill(null);
      byRun[id][0].forEach(function (step, i) { values[index.get(step)] = byRun[id][1][i]; });
      return values;
    });
    return [steps].concat(series);
  }

  // A metric logged at one step only would otherwise get uPlot's default 0..100 axis.
  function stepScale(steps) {
    if (steps.length > 1) { return { time: false }; }
    return { time: false, auto: false, range: [steps[0] - 1, steps[0] + 1] };
  }

  function drawChart(container, key, byRun, labels) {
    // Series follow the page's run order (the labels' order), so colours match the table's columns.
    var runIds = Object.keys(labels).filter(function (id) { return id in byRun; });
    Object.keys(byRun).forEach(function (id) { if (runIds.indexOf(id) < 0) { runIds.push(id); } });
    var figure = document.createElement("figure");
    figure.className = "chart";
    container.appendChild(figure);
    var width = Math.max(320, Math.min(560, container.clientWidth / 2 - 24));
    var series = [{ label: "step" }].concat(runIds.map(function (id, i) {
      return { label: labels[id] || id.slice(0, 8), stroke: COLOURS[i % COLOURS.length], width: 2, spanGaps: true,
               points: { show: byRun[id][0].length < 50 } };
    }));
    var data = alignedData(byRun, runIds);
    new uPlot({ title: key, width: width, height: 240, series: series, scales: { x: stepScale(data[0]) } }, data, figure);
  }

  document.querySelectorAll("[data-chart-source]").forEach(function (container) {
    var histories = readJson(container.dataset.chartSource);
    var labels = readJson(container.dataset.runLabels);
    Object.keys(histories).sort().forEach(function (key) { drawChart(container, key, histories[key], labels); });
  });
})();
