// Progress of the editions being built: asks the API every five seconds and reloads the
// page once an edition is ready or has failed. The live region announces each change.
(function () {
  "use strict";
  var cells = document.querySelectorAll("[data-edition-progress]");
  if (!cells.length) return;
  function poll() {
    var pending = 0;
    cells.forEach(function (cell) {
      fetch(cell.getAttribute("data-edition-progress"), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (job) {
          if (!job) return;
          if (job.status === "done" || job.status === "failed") {
            window.location.reload();
            return;
          }
          var bar = cell.querySelector("progress");
          if (bar && String(bar.value) !== String(job.progress)) {
            bar.value = job.progress;
            bar.textContent = job.progress + " %";
            bar.nextSibling.textContent = " " + job.progress + " %";
          }
        })
        .catch(function () { /* offline: try again at the next tick */ });
      pending += 1;
    });
    if (pending) window.setTimeout(poll, 5000);
  }
  window.setTimeout(poll, 5000);
})();
