// The connector page: form and JSON view of one config, live checks by the server's host,
// test send, save, history and the emulator's outbox.  No framework, no inline script:
// every text from the server or a connector is put in the page with textContent.
"use strict";

(function () {
  const data = JSON.parse(document.getElementById("page-data").textContent);
  const T = data.text;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const $ = (id) => document.getElementById(id);

  let config = data.config; // the config being edited; stored secrets are never in it
  let secretsSet = new Set(data.secretsSet);
  let serverProblems = [];
  let findings = []; // the last account check's findings, for the config as it was then
  const clientProblems = new Map(); // key ("" for the JSON view) -> message
  let pending = 0;
  let timer = null;

  const fields = new Map();
  for (const el of document.querySelectorAll(".field")) {
    const control = el.querySelector("input, textarea, select");
    fields.set(el.dataset.key, {
      el: el,
      key: el.dataset.key,
      type: el.dataset.type,
      required: el.dataset.required === "true",
      secret: el.dataset.secret === "true",
      control: control,
      list: el.querySelector("[data-problems]"),
      conditions: JSON.parse(el.dataset.show || "[]"),
    });
  }

  function fmt(text, values) {
    return text.replace(/\{(\w+)\}/g, (all, name) => (name in values ? String(values[name]) : all));
  }

  function node(tag, text, className) {
    const el = document.createElement(tag);
    if (text !== undefined) el.textContent = text;
    if (className) el.className = className;
    return el;
  }

  async function call(url, body) {
    const options = { method: "GET", headers: { "X-CSRF-Token": csrf }, credentials: "same-origin" };
    if (body !== undefined) {
      options.method = "POST";
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(url, options);
    if (response.status === 401) {
      window.location.reload();
    }
    try {
      return await response.json();
    } catch (e) {
      return { ok: false, message: response.status + " " + response.statusText };
    }
  }

  // -- paths ------------------------------------------------------------------------------

  // "templates[2].templateCode" -> ["templates", 2, "templateCode"]; "(config)" -> []
  function parsePath(path) {
    const parts = [];
    const re = /\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]|\.?([A-Za-z_][A-Za-z0-9_]*)/g;
    let m;
    if (path.startsWith("(")) return parts;
    while ((m = re.exec(path)) !== null) {
      if (m[1] !== undefined) parts.push(Number(m[1]));
      else if (m[2] !== undefined) parts.push(JSON.parse(m[2]));
      else parts.push(m[3]);
    }
    return parts;
  }

  // The line of `text` (valid JSON) where the value at `target` starts; the nearest
  // enclosing value when that path is missing (a missing key is reported at its object).
  function lineOf(text, target) {
    for (let n = target.length; n >= 0; n--) {
      const offset = offsetOf(text, target.slice(0, n));
      if (offset !== null) return text.slice(0, offset).split("\n").length;
    }
    return null;
  }

  function offsetOf(text, target) {
    let i = 0;
    let found = null;
    const skip = () => {
      while (i < text.length && /\s/.test(text[i])) i++;
    };
    const string = () => {
      const start = i;
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
      i++;
      return JSON.parse(text.slice(start, i));
    };
    const same = (path) => path.length === target.length && path.every((p, k) => p === target[k]);
    const value = (path) => {
      skip();
      if (found === null && same(path)) found = i;
      const c = text[i];
      if (c === "{" || c === "[") {
        const close = c === "{" ? "}" : "]";
        i++;
        skip();
        if (text[i] === close) {
          i++;
          return;
        }
        for (let index = 0; ; index++) {
          skip();
          let key = index;
          if (c === "{") {
            key = string();
            skip();
            i++; // the colon
          }
          value(path.concat([key]));
          skip();
          if (text[i++] !== ",") return;
        }
      } else if (c === '"') {
        string();
      } else {
        while (i < text.length && !/[\s,\]}]/.test(text[i])) i++;
      }
    };
    try {
      value([]);
    } catch (e) {
      return null;
    }
    return found;
  }

  // -- form <-> config --------------------------------------------------------------------

  function pretty(value) {
    return JSON.stringify(value, null, 2);
  }

  function showValue(f) {
    const value = config[f.key];
    const c = f.control;
    if (document.activeElement === c) return;
    if (f.type === "Switch") c.checked = value === true;
    else if (f.type === "MultiSelect") {
      const chosen = Array.isArray(value) ? value.map(String) : [];
      for (const option of c.options) option.selected = chosen.includes(option.value);
    } else if (f.type === "Json") c.value = value === undefined ? "" : pretty(value);
    else c.value = value === undefined || value === null ? "" : String(value);
  }

  // What the field holds: {value} to set the key, {} to leave it out, {problem} when unusable.
  function readField(f) {
    const c = f.control;
    if (f.type === "Switch") return { value: c.checked };
    if (f.type === "MultiSelect") {
      const chosen = Array.from(c.selectedOptions, (o) => o.value);
      return chosen.length || f.required ? { value: chosen } : {};
    }
    const raw = c.value;
    if (f.type === "Json") {
      if (raw.trim() === "") return {};
      let parsed;
      try {
        parsed = JSON.parse(raw);
      } catch (e) {
        return { problem: fmt(T.not_json, { reason: e.message }) };
      }
      // As in Logto's console: an optional Json item holding {} is not set.
      const empty = parsed && typeof parsed === "object" && !Array.isArray(parsed) && !Object.keys(parsed).length;
      return empty && !f.required ? {} : { value: parsed };
    }
    if (raw === "") return {};
    if (f.type === "Number") {
      const number = Number(raw.trim());
      return raw.trim() === "" || Number.isNaN(number) ? { problem: T.not_number } : { value: number };
    }
    return { value: raw };
  }

  // A form item with showConditions shows only while each target key holds its value.
  function applyConditions() {
    for (const f of fields.values()) {
      if (!f.conditions.length) continue;
      f.el.hidden = !f.conditions.every(
        (c) => JSON.stringify(config[c.targetKey]) === JSON.stringify(c.expectValue),
      );
    }
  }

  function fromField(f) {
    dropFindings();
    const read = readField(f);
    clientProblems.delete(f.key);
    if (read.problem !== undefined) clientProblems.set(f.key, read.problem);
    else if ("value" in read) config[f.key] = read.value;
    else delete config[f.key];
    applyConditions();
    showJson();
    scheduleCheck();
  }

  function showJson() {
    const area = $("config-json");
    if (document.activeElement !== area) area.value = pretty(config);
  }

  function fromJson() {
    dropFindings();
    const raw = $("config-json").value;
    let parsed;
    try {
      parsed = JSON.parse(raw);
    } catch (e) {
      clientProblems.set("", fmt(T.not_json, { reason: e.message }));
      showProblems();
      return;
    }
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
      clientProblems.set("", fmt(T.not_json, { reason: "{ … }" }));
      showProblems();
      return;
    }
    clientProblems.clear();
    config = parsed;
    for (const f of fields.values()) showValue(f);
    applyConditions();
    scheduleCheck();
  }

  // -- problems ---------------------------------------------------------------------------

  // Focus the control a problem names; in a JSON editor, select the line it points at.
  function reveal(control, line) {
    control.focus();
    if (line && control.tagName === "TEXTAREA") {
      const lines = control.value.split("\n");
      const start = lines.slice(0, line - 1).join("\n").length + (line > 1 ? 1 : 0);
      control.setSelectionRange(start, start + lines[line - 1].length);
    }
  }

  function problemItem(problem, line, control) {
    const li = node("li", undefined, "problem " + problem.severity);
    if (control) {
      li.tabIndex = 0;
      li.addEventListener("click", () => reveal(control, line));
      li.addEventListener("keydown", (event) => {
        if (event.key === "Enter") reveal(control, line);
      });
    }
    li.appendChild(node("span", severityLabel(problem.severity), "severity"));
    li.appendChild(node("code", problem.path));
    li.appendChild(document.createTextNode(" " + problem.message));
    if (problem.advice) li.appendChild(node("span", " \u2192 " + problem.advice, "advice"));
    if (line) li.appendChild(node("span", " (" + fmt(T.line, { line: line }) + ")", "line"));
    li.dataset.path = problem.path;
    return li;
  }

  function severityLabel(severity) {
    const labels = { error: T.error, warning: T.warning, ok: T.check_ok, unchecked: T.check_unchecked };
    return labels[severity] || severity;
  }

  function allProblems() {
    // The server saw the last value that could be read; a field the browser cannot read
    // (or a JSON view that is not JSON) shows only its own problem.
    const list = clientProblems.has("")
      ? []
      : serverProblems.filter((p) => !clientProblems.has(String(parsePath(p.path)[0])));
    for (const [key, message] of clientProblems) {
      list.push({ path: key || "(config)", message: message, severity: "error", client: true });
    }
    return list;
  }

  function showProblems() {
    for (const f of fields.values()) {
      f.list.replaceChildren();
      f.el.classList.remove("has-error", "has-warning");
      f.control.removeAttribute("aria-invalid");
    }
    const jsonList = $("json-problems");
    jsonList.replaceChildren();
    const summaryList = $("summary-list");
    summaryList.replaceChildren();
    const problems = allProblems();
    const jsonText = $("config-json").value;
    let jsonValid = true;
    try {
      JSON.parse(jsonText);
    } catch (e) {
      jsonValid = false;
    }
    for (const p of problems) {
      const parts = parsePath(p.path);
      const f = fields.get(parts[0]);
      if (f) {
        let line = null;
        if (f.type === "Json" && parts.length > 1 && !p.client) line = lineOf(f.control.value, parts.slice(1));
        f.list.appendChild(problemItem(p, line, f.control));
        f.el.classList.add(p.severity === "warning" ? "has-warning" : "has-error");
        if (p.severity !== "warning") f.control.setAttribute("aria-invalid", "true");
      }
      const whole = jsonValid && !p.client ? lineOf(jsonText, parts) : null;
      jsonList.appendChild(problemItem(p, whole, $("config-json")));
      summaryList.appendChild(problemItem(p, null, f && !$("config-form").hidden ? f.control : null));
    }
    for (const finding of findings) {
      const parts = parsePath(finding.path);
      const f = fields.get(parts[0]);
      if (!f) continue;
      let line = null;
      if (f.type === "Json" && parts.length > 1) line = lineOf(f.control.value, parts.slice(1));
      const li = problemItem(finding, line, f.control);
      li.classList.add("finding");
      f.list.appendChild(li);
    }
    const errors = problems.filter((p) => p.severity !== "warning").length;
    const warnings = problems.length - errors;
    const parts = [];
    if (errors) parts.push(fmt(T.errors, { count: errors }));
    if (warnings) parts.push(fmt(T.warnings, { count: warnings }));
    $("summary-text").textContent = pending ? T.checking : parts.join(", ") || T.valid;
    $("summary").className = "summary " + (errors ? "error" : warnings ? "warning" : "ok");
    $("save").disabled = pending > 0 || errors > 0;
  }

  function scheduleCheck() {
    pending++;
    showProblems();
    clearTimeout(timer);
    timer = setTimeout(check, 250);
  }

  async function check() {
    const started = pending;
    const answer = await call(data.urls.validate, { config: config });
    if (started !== pending) return; // an edit came in meanwhile; its own check follows
    serverProblems = Array.isArray(answer.problems) ? answer.problems : [];
    if (!Array.isArray(answer.problems)) {
      serverProblems = [{ path: "(config)", message: answer.message || "?", severity: "error" }];
    }
    pending = 0;
    showProblems();
  }

  // -- save, test, history, outbox --------------------------------------------------------

  async function save() {
    $("save").disabled = true;
    const status = $("save-status");
    const answer = await call(data.urls.save, { config: config, note: $("note").value });
    if (answer.ok) {
      status.textContent = fmt(T.saved, { version: answer.version });
      status.className = "ok";
      for (const f of fields.values()) {
        if (f.secret && config[f.key] !== undefined && config[f.key] !== "") {
          secretsSet.add(f.key);
          delete config[f.key];
          f.control.value = "";
        }
      }
      showSecretStates();
      showJson();
      $("note").value = "";
      loadHistory();
    } else {
      status.textContent = T.save_failed + ": " + (answer.message || "");
      status.className = "error";
      if (Array.isArray(answer.problems)) serverProblems = answer.problems;
    }
    showProblems();
  }

  function showSecretStates() {
    for (const f of fields.values()) {
      const state = f.el.querySelector("[data-secret-state]");
      if (state) state.textContent = secretsSet.has(f.key) ? T.secret_set : T.secret_unset;
    }
  }

  function definitions(rows) {
    const dl = node("dl");
    for (const [term, value] of rows) {
      if (value === undefined || value === null || value === "") continue;
      dl.appendChild(node("dt", term));
      dl.appendChild(node("dd", String(value)));
    }
    return dl;
  }

  async function sendTest() {
    const out = $("test-result");
    out.replaceChildren(node("p", T.checking));
    const answer = await call(data.urls.test, { config: config, to: $("phone").value });
    out.replaceChildren();
    if (answer.ok) {
      const r = answer.result;
      out.appendChild(node("p", T.sent, "ok"));
      out.appendChild(
        definitions([
          [T.to, r.to],
          [T.route, r.route],
          [T.request_id, r.requestId],
        ]),
      );
      if (r.serialNo) {
        // The SerialNo leads to the Delivery panel, which follows it until a receipt arrives.
        const link = node("button", r.serialNo, "link");
        link.type = "button";
        link.addEventListener("click", () => {
          follow(r.serialNo, true);
          $("delivery-panel").scrollIntoView();
        });
        const p = node("p", T.serial_no + ": ");
        p.appendChild(link);
        out.appendChild(p);
        follow(r.serialNo, true);
      }
    } else {
      out.appendChild(node("p", T.send_failed + ": " + (answer.message || ""), "error"));
      const rows = [[T.logto_code, answer.code]];
      const extra = answer.data || {};
      for (const key of Object.keys(extra)) {
        const term = /Code$/.test(key) ? T.tencent_code : key === "requestId" ? T.request_id : key;
        rows.push([term, extra[key]]);
      }
      out.appendChild(definitions(rows));
    }
    if (data.hasOutbox) loadOutbox();
  }

  // -- the account check ------------------------------------------------------------------

  function dropFindings() {
    if (!findings.length) return;
    findings = [];
    $("check-list").replaceChildren();
    $("check-summary").textContent = "";
  }

  async function checkAccount() {
    const button = $("check-account");
    button.disabled = true;
    findings = [];
    $("check-list").replaceChildren();
    $("check-summary").textContent = T.checking;
    $("check-summary").className = "";
    const answer = await call(data.urls.check, { config: config });
    button.disabled = false;
    const list = $("check-list");
    if (answer.ok) {
      findings = answer.findings;
      const c = answer.counts;
      $("check-summary").textContent = fmt(T.check_counts, c);
      $("check-summary").className = c.error ? "error" : c.warning || c.unchecked ? "warning" : "ok";
      for (const finding of findings) {
        const f = fields.get(parsePath(finding.path)[0]);
        list.appendChild(problemItem(finding, null, f && !$("config-form").hidden ? f.control : null));
      }
    } else {
      $("check-summary").textContent = T.check_failed + ": " + (answer.message || "");
      $("check-summary").className = "error";
      for (const p of answer.problems || []) list.appendChild(problemItem(p, null, null));
    }
    showProblems();
  }

  // -- delivery receipts --------------------------------------------------------------------

  let watching = null; // the timer following a SerialNo until its receipt arrives

  function receiptTime(r) {
    if (typeof r.receivedAt === "number") return new Date(r.receivedAt * 1000).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
    return r.storedAt.replace("T", " ").replace("Z", " UTC");
  }

  async function showDelivery(serial, follow, tries) {
    clearTimeout(watching);
    const out = $("delivery");
    const answer = await call(data.urls.receipts + "?serialNo=" + encodeURIComponent(serial));
    if ($("lookup-serial").value.trim() !== serial) return; // another look-up took over
    out.replaceChildren();
    if (!Array.isArray(answer.receipts)) {
      out.appendChild(node("p", answer.message || "?", "error"));
      return;
    }
    if (!answer.receipts.length) {
      const waiting = follow && tries < 120;
      out.appendChild(node("p", waiting ? T.waiting_receipt : T.no_receipt, "muted"));
      if (waiting) watching = setTimeout(() => showDelivery(serial, true, tries + 1), 1000);
      return;
    }
    for (const r of answer.receipts) {
      const status = r.status === "delivered" ? T.delivered : r.status === "failed" ? T.failed : r.status;
      const block = node("div", undefined, "receipt " + r.status);
      block.appendChild(node("p", status));
      block.appendChild(
        definitions([
          [T.serial_no, r.serialNo],
          [T.number, r.phone],
          [T.report_code, r.code + (r.description && r.description !== r.code ? " (" + r.description + ")" : "")],
          [T.report_time, receiptTime(r)],
        ]),
      );
      out.appendChild(block);
    }
  }

  function follow(serial, keepWatching) {
    $("lookup-serial").value = serial;
    showDelivery(serial, keepWatching, 0);
  }

  async function loadHistory() {
    const versions = await call(data.urls.history);
    const body = document.querySelector("#history tbody");
    body.replaceChildren();
    if (!Array.isArray(versions) || !versions.length) {
      $("history-status").textContent = T.no_history;
      return;
    }
    $("history-status").textContent = "";
    versions.forEach((v, index) => {
      const tr = document.createElement("tr");
      tr.appendChild(node("td", String(v.version)));
      tr.appendChild(node("td", v.savedAt.replace("T", " ")));
      tr.appendChild(node("td", v.note + (v.connectorId !== data.connectorId ? " (" + v.connectorId + ")" : "")));
      const cell = node("td");
      if (index === 0) cell.textContent = T.current;
      else {
        const button = node("button", T.restore + " " + v.version);
        button.type = "button";
        button.addEventListener("click", () => restore(v.version));
        cell.appendChild(button);
      }
      tr.appendChild(cell);
      body.appendChild(tr);
    });
  }

  async function restore(version) {
    const answer = await call(data.urls.restore, { version: version });
    if (answer.ok) {
      window.location.reload();
    } else {
      $("history-status").textContent = answer.message || "";
    }
  }

  async function loadOutbox() {
    const messages = await call(data.urls.outbox);
    const list = $("outbox");
    list.replaceChildren();
    if (!Array.isArray(messages) || !messages.length) {
      list.appendChild(node("li", T.outbox_empty, "muted"));
      return;
    }
    for (const m of messages) {
      const li = node("li");
      li.appendChild(node("strong", m.to));
      li.appendChild(node("span", " " + m.time.replace("T", " "), "muted"));
      li.appendChild(definitions([["Template", m.templateId], [T.request_id, m.requestId]]));
      list.appendChild(li);
    }
  }

  // -- tabs and wiring --------------------------------------------------------------------

  function showTab(json) {
    $("tab-form").setAttribute("aria-selected", String(!json));
    $("tab-json").setAttribute("aria-selected", String(json));
    if (!$("tab-form").hidden) $("config-form").hidden = json;
    $("json-view").hidden = !json;
    if (json) showJson();
  }

  for (const f of fields.values()) {
    // "input" alone: a "change" on blur would re-check and disable Save under the click.
    f.control.addEventListener("input", () => fromField(f));
    showValue(f);
  }
  $("config-json").addEventListener("input", fromJson);
  $("config-json").addEventListener("blur", () => {
    if (!clientProblems.has("")) showJson();
  });
  $("tab-form").addEventListener("click", () => showTab(false));
  $("tab-json").addEventListener("click", () => showTab(true));
  $("save").addEventListener("click", save);
  $("send-test").addEventListener("click", sendTest);
  $("check-account").addEventListener("click", checkAccount);
  $("look-up").addEventListener("click", () => follow($("lookup-serial").value.trim(), false));
  $("lookup-serial").addEventListener("keydown", (event) => {
    if (event.key === "Enter") follow($("lookup-serial").value.trim(), false);
  });
  showTab($("tab-form").hidden);
  applyConditions();
  showJson();
  scheduleCheck();
  loadHistory();
  if (data.hasOutbox) {
    loadOutbox();
    setInterval(loadOutbox, 5000);
  }
})();
