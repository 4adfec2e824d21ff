// The MLflow UI routes in the URL fragment, which never reaches the server: the links the mlflow client prints
// (`<server>/#/experiments/4/runs/<id>`, `#/models/<name>/versions/<v>`, ...) land on whatever page the server
// answers for `/`. This maps such a fragment to the matching page of the registry, replacing the history entry.
(function () {
  "use strict";
  var hash = window.location.hash;
  if (hash.indexOf("#/") !== 0) {
    return;
  }
  var route = hash.slice(2).split("?")[0];
  var parts = route.split("/").filter(function (part) { return part !== ""; }).map(function (part) {
    try {
      return decodeURIComponent(part);
    } catch (error) {
      return part;
    }
  });
  var path = function () {
    return "/" + Array.prototype.map.call(arguments, encodeURIComponent).join("/") + "/";
  };
  var digits = /^\d+$/;
  var target = null;
  if (parts[0] === "experiments") {
    if (parts.length >= 4 && parts[2] === "runs") {
      target = path("runs", parts[3]);  // #/experiments/<id>/runs/<run>[/artifacts/...]
    } else if (parts.length >= 2 && digits.test(parts[1])) {
      target = path("experiments", parts[1]);
    } else {
      target = path("experiments");
    }
  } else if (parts[0] === "models") {
    if (parts.length >= 4 && parts[2] === "versions" && digits.test(parts[3])) {
      target = path("models", parts[1], "versions", parts[3]);
    } else if (parts.length >= 2) {
      target = path("models", parts[1]);
    } else {
      target = path("models");
    }
  }
  if (target === window.location.pathname) {
    window.history.replaceState(null, "", target + window.location.search);  // already here: drop the fragment
  } else if (target !== null) {
    window.location.replace(target);
  }
}());
