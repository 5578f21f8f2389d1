// LightNFV console: actions go to the daemon's API with the page's antiforgery token; live parts follow the
// daemon's event stream (Server-Sent Events). No framework beyond the pinned htmx.
(() => {
  "use strict";
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? "";
  // The server refuses a viewer's change anyway; this only spares a viewer buttons that would be refused.
  const canAct = document.querySelector('meta[name="can-act"]')?.content === "true";
  // An RFC 3339 time as the pages print it (2026-12-06 18:20:01Z).
  const utc = (t) => String(t).replace('T', ' ').replace(/\.\d+Z$/, 'Z');

  // htmx's own requests (search, live fragments) carry the token too, so a future form posted by htmx passes.
  document.addEventListener("htmx:configRequest", (e) => { e.detail.headers["X-CSRF-TOKEN"] = csrf; });

  // Buttons with data-api: confirm, call the API, say what it answered, then reload or go on.
  document.addEventListener("click", async (e) => {
    const b = e.target.closest("button[data-api]");
    if (!b) return;
    e.preventDefault();
    if (b.dataset.confirm && !window.confirm(b.dataset.confirm)) return;
    const status = b.closest("section, td")?.querySelector(".result");
    let body = b.dataset.body;
    if (b.dataset.bodyFrom) {
      // Fields named by id; a number each, empty ones left out.
      const fields = {};
      for (const id of b.dataset.bodyFrom.split(",")) {
        const v = document.getElementById(id).value;
        if (v !== "") fields[id] = Number(v);
      }
      body = JSON.stringify(fields);
    }
    b.disabled = true;
    try {
      const r = await fetch(b.dataset.api, {
        method: b.dataset.method || "POST",
        credentials: "same-origin",
        headers: { "X-CSRF-TOKEN": csrf, "Content-Type": "application/json", Accept: "application/json" },
        body: body,
      });
      const text = await r.text();
      let detail = text;
      try { const j = JSON.parse(text); detail = j.detail ?? j.state ?? j.message ?? text; } catch { /* plain text */ }
      if (status) status.textContent = r.ok ? `${b.textContent.trim()}: done` : `${b.textContent.trim()} refused (${r.status}): ${detail}`;
      if (r.ok && b.dataset.ack !== undefined) {
        // An acknowledged alert: its cell says who and when, in place (the row stays where it is).
        const j = JSON.parse(text);
        const span = document.createElement("span");
        span.dataset.testid = "acked";
        span.textContent = `by ${j.acknowledged.by} at ${utc(j.acknowledged.at)}`;
        b.closest("tr").classList.add("acked");
        b.closest("td").replaceChildren(span);
        return;
      }
      if (r.ok) {
        if (b.dataset.then) window.location.assign(b.dataset.then);
        else document.body.dispatchEvent(new CustomEvent("lnfv:changed"));
      }
    } catch (err) {
      if (status) status.textContent = `${b.textContent.trim()} failed: ${err}`;
    } finally {
      b.disabled = false;
    }
  });

  // One event stream per page: any instance or VNF event refreshes the live parts (htmx listens for lnfv:changed);
  // the alerts table gets each new event as a row.
  let stream;
  const connect = () => {
    stream = new EventSource("/api/v1/events/stream", { withCredentials: true });
    const onEvent = (ev) => {
      document.body.dispatchEvent(new CustomEvent("lnfv:changed"));
      const table = document.querySelector("#alerts tbody");
      if (!table) return;
      let e;
      try { e = JSON.parse(ev.data); } catch { return; }
      if (table.querySelector(`tr[data-event="${e.id}"]`)) return;
      const tr = document.createElement("tr");
      tr.dataset.event = e.id;
      tr.className = `sev-${e.severity} new`;
      for (const v of [utc(e.timeStamp), e.severity, e.notificationType, e.tenant ?? "", e.instance ?? "", e.message]) {
        const td = document.createElement("td");
        td.textContent = v;
        tr.appendChild(td);
      }
      const ack = document.createElement("td");
      ack.className = "ack";
      if (canAct) {
        const b = document.createElement("button");
        b.dataset.api = `/api/v1/alerts/${e.id}/ack`;
        b.dataset.method = "POST";
        b.dataset.ack = "";
        b.textContent = "Acknowledge";
        const result = document.createElement("span");
        result.className = "result";
        result.setAttribute("role", "status");
        ack.append(b, result);
      }
      tr.appendChild(ack);
      table.prepend(tr);
    };
    // SSE events are named by their type, and a named event reaches only its own listener: listen to each type.
    const types = document.querySelector('meta[name="event-types"]')?.content ?? "";
    for (const t of types.split(",").filter(Boolean)) stream.addEventListener(t, onEvent);
    stream.addEventListener("message", onEvent);
  };
  document.addEventListener("DOMContentLoaded", connect);
  window.addEventListener("beforeunload", () => stream?.close());
})();
