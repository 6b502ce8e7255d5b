// Versioner's dashboard: the pages work without this script; it only keeps the state matrix live.
"use strict";
(function () {
  const body = document.body;
  if (body.dataset.live !== "matrix" || !window.EventSource) return;
  const base = body.dataset.base || "";
  const indicator = document.querySelector(".live");
  const label = indicator && indicator.querySelector(".live-text");
  function show(state, text) {
    if (!indicator) return;
    indicator.classList.remove("on", "off");
    if (state) indicator.classList.add(state);
    label.textContent = text;
  }
  const shown = new Set(Array.from(document.querySelectorAll("thead th[data-environment]"), (th) => th.dataset.environment));
  // Re-render a product's row (drift marks included) from the server's own template.
  function refresh(product) {
    const params = new URLSearchParams();
    params.set("only", product);
    shown.forEach((name) => params.append("column", name));
    fetch(base + "/ui/fragments/row?" + params.toString(), { credentials: "same-origin" })
      .then((answer) => (answer.status === 200 ? answer.text() : null))
      .then((html) => {
        if (html === null) return;
        const template = document.createElement("template");
        template.innerHTML = html.trim();
        const row = template.content.firstElementChild;
        if (!row) return;
        const current = Array.from(document.querySelectorAll("tbody tr[data-product]")).find((tr) => tr.dataset.product === product);
        if (current) {
          current.replaceWith(row);
        } else {
          show("on", "Live · new products since this page loaded: reload to see them");
          return;
        }
        row.classList.add("updated");
      });
  }
  const stream = new EventSource(base + "/events/stream?type=deployment");
  stream.onopen = () => show("on", "Live");
  stream.onerror = () => show("off", "Reconnecting…");
  ["pending", "started", "completed", "failed", "aborted"].forEach((status) => {
    stream.addEventListener("deployment." + status, (message) => {
      const event = JSON.parse(message.data);
      if (!shown.has(event.environment_name)) {
        show("on", "Live · a deployment to " + event.environment_name + ": reload to see its column");
      }
      refresh(event.product_name);
    });
  });
})();
