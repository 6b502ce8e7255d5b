// Versioner's dashboard: the pages work without this script; it only keeps the state matrix live.
"use strict";
(function () {
  // The matrix writes each time as a date (so that a cached row stays true); here it reads as
  // "5 min ago", kept current, with the date as its tooltip.
  function ago(iso) {
    const seconds = Math.floor((Date.now() - Date.parse(iso)) / 1000);
    if (isNaN(seconds) || seconds < 0) return null;
    if (seconds < 60) return "just now";
    if (seconds < 3600) return Math.floor(seconds / 60) + " min ago";
    if (seconds < 86400) return Math.floor(seconds / 3600) + " h ago";
    if (seconds < 60 * 86400) return Math.floor(seconds / 86400) + " d ago";
    return null;
  }
  function relativeTimes(root) {
    root.querySelectorAll("table.matrix time[datetime]").forEach((time) => {
      if (!time.title) time.title = time.textContent;
      const text = ago(time.getAttribute("datetime"));
      if (text) time.textContent = text;
    });
  }
  relativeTimes(document);
  setInterval(() => relativeTimes(document), 30000);

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
          relativeTimes(row.parentNode);
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
