/// The interactive API page served at `GET /docs`: one self-contained HTML file (no CDN, no
/// external script: servers often run on closed networks) that reads `/openapi.json`, lists every
/// operation, and lets a person fill in parameters and a body, send the request with their key,
/// and see the answer. `__BASE_PATH__` is replaced by the server's base path (a JSON string).
///
/// Everything that comes from the document or an answer is shown with `textContent`, never as HTML.
let docsPageTemplate = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Versioner API</title>
<style>
  :root { --fg: #1d232a; --muted: #5b6570; --line: #d9dee3; --bg: #f6f8fa; --accent: #0b62c4; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); }
  header { position: sticky; top: 0; z-index: 1; background: #fff; border-bottom: 1px solid var(--line);
           padding: 12px 24px; display: flex; gap: 16px; align-items: center; flex-wrap: wrap; }
  header h1 { font-size: 18px; margin: 0 12px 0 0; }
  header label { color: var(--muted); }
  #api-key { width: 420px; max-width: 100%; font-family: ui-monospace, monospace; padding: 6px 8px; }
  main { max-width: 1100px; margin: 0 auto; padding: 16px 24px 64px; }
  #intro { color: var(--muted); white-space: pre-wrap; }
  h2 { font-size: 16px; margin: 28px 0 8px; }
  details.operation { border: 1px solid var(--line); border-radius: 6px; margin: 6px 0; background: #fff; }
  details.operation > summary { cursor: pointer; padding: 8px 12px; list-style: none; display: flex; gap: 12px; align-items: baseline; }
  details.operation[open] > summary { border-bottom: 1px solid var(--line); background: var(--bg); }
  .method { font: 600 12px ui-monospace, monospace; min-width: 58px; text-align: center; padding: 2px 6px; border-radius: 4px; color: #fff; }
  .GET { background: #2f7d32; } .POST { background: #0b62c4; } .PATCH { background: #8a5a00; } .DELETE { background: #b3261e; }
  .path { font-family: ui-monospace, monospace; }
  .summary { color: var(--muted); }
  .lock { color: var(--muted); font-size: 12px; margin-left: auto; }
  .body-of-operation { padding: 12px; }
  .description { white-space: pre-wrap; color: var(--muted); margin: 0 0 8px; }
  table.params { border-collapse: collapse; margin-bottom: 8px; }
  table.params td { padding: 3px 8px 3px 0; vertical-align: top; }
  table.params input { font-family: ui-monospace, monospace; width: 320px; padding: 4px 6px; }
  .param-name { font-family: ui-monospace, monospace; }
  .required { color: #b3261e; }
  textarea.body { width: 100%; min-height: 160px; font: 13px ui-monospace, monospace; padding: 8px; }
  button.send { margin-top: 8px; padding: 6px 16px; font-weight: 600; background: var(--accent); color: #fff; border: 0; border-radius: 4px; cursor: pointer; }
  .answer { margin-top: 10px; display: none; }
  .answer.shown { display: block; }
  .status { font-family: ui-monospace, monospace; font-weight: 600; }
  .status.ok { color: #2f7d32; } .status.error { color: #b3261e; }
  pre.response { background: var(--bg); border: 1px solid var(--line); padding: 8px; overflow: auto; max-height: 420px; font-size: 13px; }
  .curl { color: var(--muted); font: 12px ui-monospace, monospace; word-break: break-all; }
</style>
</head>
<body>
<header>
  <h1>Versioner API</h1>
  <label for="api-key">API key</label>
  <input id="api-key" type="password" autocomplete="off" placeholder="sk_…" spellcheck="false">
  <span id="load-state" class="summary">loading the API description…</span>
</header>
<main>
  <p id="intro"></p>
  <div id="operations"></div>
</main>
<script>
"use strict";
const BASE = __BASE_PATH__;
const METHODS = ["get", "post", "put", "patch", "delete"];

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (name === "class") node.className = value; else node.setAttribute(name, value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

function resolve(document, item) {
  while (item && item.$ref) {
    item = item.$ref.replace(/^#\//, "").split("/").reduce((at, part) => at[part], document);
  }
  return item;
}

function exampleBody(document, operation) {
  const content = operation.requestBody && resolve(document, operation.requestBody).content;
  const json = content && content["application/json"];
  if (!json) return null;
  return JSON.stringify(json.example !== undefined ? json.example : {}, null, 2);
}

function renderOperation(document, path, method, operation) {
  const id = "op-" + (operation.operationId || (method + path).replace(/[^A-Za-z0-9]+/g, "-"));
  const isPublic = Array.isArray(operation.security) && operation.security.length === 0;
  const parameters = (operation.parameters || []).map(p => resolve(document, p));
  const inputs = [];
  const rows = parameters.map(parameter => {
    const input = el("input", { "data-name": parameter.name, "data-in": parameter.in, "class": "param" });
    const schema = resolve(document, parameter.schema) || {};
    input.placeholder = [schema.type, schema.format].filter(Boolean).join(" ") + (schema.enum ? ": " + schema.enum.join(" | ") : "");
    inputs.push(input);
    return el("tr", {},
      el("td", { "class": "param-name" }, parameter.name, parameter.required ? el("span", { "class": "required" }, " *") : null),
      el("td", {}, parameter.in),
      el("td", {}, input),
      el("td", { "class": "summary" }, parameter.description || ""));
  });
  const example = exampleBody(document, operation);
  const bodyInput = example === null ? null : el("textarea", { "class": "body", "spellcheck": "false" });
  if (bodyInput) bodyInput.value = example;
  const status = el("div", { "class": "status" });
  const response = el("pre", { "class": "response" });
  const curl = el("div", { "class": "curl" });
  const answer = el("div", { "class": "answer" }, status, response, curl);
  const send = el("button", { "class": "send", "type": "button" }, "Send");
  send.addEventListener("click", () => sendRequest(method, path, inputs, bodyInput, isPublic, answer, status, response, curl));
  return el("details", { "class": "operation", "id": id },
    el("summary", {},
      el("span", { "class": "method " + method.toUpperCase() }, method.toUpperCase()),
      el("span", { "class": "path" }, path),
      el("span", { "class": "summary" }, operation.summary || ""),
      el("span", { "class": "lock" }, isPublic ? "public" : "needs a key")),
    el("div", { "class": "body-of-operation" },
      operation.description ? el("p", { "class": "description" }, operation.description) : null,
      rows.length ? el("table", { "class": "params" }, ...rows) : null,
      bodyInput ? el("div", {}, el("div", { "class": "summary" }, "Request body (JSON)"), bodyInput) : null,
      send, answer));
}

async function sendRequest(method, path, inputs, bodyInput, isPublic, answer, status, response, curl) {
  let url = path;
  const query = new URLSearchParams();
  for (const input of inputs) {
    const value = input.value.trim();
    if (input.dataset.in === "path") url = url.replace("{" + input.dataset.name + "}", encodeURIComponent(value));
    else if (input.dataset.in === "query" && value !== "") query.append(input.dataset.name, value);
  }
  url = BASE.replace(/\/$/, "") + url + (query.toString() ? "?" + query.toString() : "");
  const headers = { "Accept": "application/json" };
  const key = document.getElementById("api-key").value.trim();
  if (key && !isPublic) headers["Authorization"] = "Bearer " + key;
  const init = { method: method.toUpperCase(), headers };
  if (bodyInput) {
    headers["Content-Type"] = "application/json";
    init.body = bodyInput.value;
  }
  answer.classList.add("shown");
  status.className = "status";
  status.textContent = "sending…";
  response.textContent = "";
  curl.textContent = "curl -X " + init.method + " '" + new URL(url, location.href) + "'"
    + (headers["Authorization"] ? " -H 'Authorization: Bearer <key>'" : "")
    + (bodyInput ? " -H 'Content-Type: application/json' -d @body.json" : "");
  try {
    const started = performance.now();
    const reply = await fetch(url, init);
    const text = await reply.text();
    const elapsed = Math.round(performance.now() - started);
    status.textContent = reply.status + " " + reply.statusText + " · " + elapsed + " ms";
    status.classList.add(reply.ok ? "ok" : "error");
    status.dataset.code = String(reply.status);
    let shown = text;
    try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch (notJSON) { /* shown as sent */ }
    const link = reply.headers.get("Link");
    response.textContent = (link ? "Link: " + link + "\n\n" : "") + shown;
  } catch (failure) {
    status.textContent = "the request failed: " + failure;
    status.classList.add("error");
  }
}

async function main() {
  const state = document.getElementById("load-state");
  let openapi;
  try {
    const reply = await fetch(BASE.replace(/\/$/, "") + "/openapi.json");
    openapi = await reply.json();
  } catch (failure) {
    state.textContent = "could not load /openapi.json: " + failure;
    return;
  }
  document.getElementById("intro").textContent = openapi.info.description || "";
  const byTag = new Map((openapi.tags || []).map(tag => [tag.name, []]));
  for (const [path, item] of Object.entries(openapi.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const tag = (operation.tags && operation.tags[0]) || "Other";
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push(renderOperation(openapi, path, method, operation));
    }
  }
  const container = document.getElementById("operations");
  let count = 0;
  for (const [tag, operations] of byTag) {
    if (!operations.length) continue;
    container.append(el("h2", {}, tag), ...operations);
    count += operations.length;
  }
  state.textContent = count + " operations · " + openapi.info.title + " " + openapi.info.version;
  state.dataset.ready = "true";
}

main();
</script>
</body>
</html>
"""#
