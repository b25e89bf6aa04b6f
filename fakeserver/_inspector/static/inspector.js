// fakeserver inspector: the live list of exchanges, mail and uploads, and their details.
//
// Everything from the network is put in the page as text (textContent, never
// innerHTML); links point only at URLs the server made. Updates come from
// Server-Sent Events ("events"), or, where those fail, from polling
// "requests?since=<id>" and "messages?since=<id>" every half second.
"use strict";
(() => {
  const SHOWN = 500;          // rows listed at once; "show more" adds as many
  const POLL_MS = 500;
  const params = new URLSearchParams(location.search);

  const state = {
    info: null, filter: [],
    // The ids of the exchanges holding every text word of the filter, bodies included (null: no search).
    found: null,
    // rows: id -> the row as sent; elements: id -> { row, tr } as shown.
    requests: { rows: new Map(), elements: new Map(), dropped: 0, shown: SHOWN, selected: null },
    mail: { rows: new Map(), elements: new Map(), dropped: 0, shown: SHOWN, selected: null },
    index: null,
  };

  // -- building elements -------------------------------------------------------------

  const $ = (id) => document.getElementById(id);

  function h(tag, props, ...children) {
    const element = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") element.className = value;
      else if (key.startsWith("on")) element.addEventListener(key.slice(2), value);
      else element.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat(Infinity)) {
      if (child !== null && child !== undefined && child !== false) element.append(child);
    }
    return element;
  }

  const pad = (n, width) => String(n).padStart(width, "0");

  function clock(iso) {
    const t = new Date(iso);
    return `${pad(t.getHours(), 2)}:${pad(t.getMinutes(), 2)}:${pad(t.getSeconds(), 2)}.${pad(t.getMilliseconds(), 3)}`;
  }

  function size(bytes) {
    if (bytes === null || bytes === undefined) return "";
    if (bytes < 1024) return `${bytes} B`;
    const units = ["KiB", "MiB", "GiB"];
    let value = bytes / 1024, unit = 0;
    while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
    return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "…";
    const ms = seconds * 1000;
    return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
  }

  const target = (x) => x.path + (x.query ? `?${x.query}` : "");

  function pairs(items) {
    return h("table", { class: "pairs" },
      h("tbody", null, items.map(([name, value]) => h("tr", null, h("td", null, name), h("td", null, value)))));
  }

  function section(title, ...content) {
    return [h("h3", null, title), ...content];
  }

  // -- filtering -----------------------------------------------------------------------

  function parseFilter(text) {
    return text.trim().split(/\s+/).filter(Boolean).map((word) => {
      const match = /^(method|status|path|host):(.*)$/i.exec(word);
      return match ? { field: match[1].toLowerCase(), value: match[2].toLowerCase() }
        : { field: "text", value: word.toLowerCase() };
    });
  }

  function rowText(row) {
    return Object.values(row).filter((v) => v !== null && typeof v !== "object").join(" ").toLowerCase();
  }

  function passes(row, kind) {
    return state.filter.every(({ field, value }) => {
      if (kind === "requests" && field === "text" && state.found) return state.found.has(row.id);
      if (kind !== "requests" || field === "text") return rowText(row).includes(value);
      if (field === "method") return row.method.toLowerCase() === value;
      if (field === "status") {
        const prefix = value.replace(/x+$/, "");
        return row.status !== null && String(row.status).startsWith(prefix);
      }
      if (field === "host") return row.host.toLowerCase().includes(value);
      return target(row).toLowerCase().includes(value);
    });
  }

  // Text is looked for by the server too, in headers and bodies; until it answers, in the rows.
  const textWords = () => JSON.stringify(state.filter.filter(({ field }) => field === "text").map(({ value }) => value));
  let searchTimer = null;
  function search() {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(async () => {
      const asked = textWords();
      const words = JSON.parse(asked);
      if (!words.length || !state.info.requests) {
        state.found = null;
      } else {
        const query = new URLSearchParams(words.map((word) => ["search", word]));
        const answer = await (await fetch(`requests?${query}`, { cache: "no-store" })).json();
        if (asked !== textWords()) return;  // the filter changed meanwhile
        state.found = new Set(answer.ids);
      }
      render();
    }, 150);
  }

  // -- the lists -----------------------------------------------------------------------

  let renderPending = false;
  function render() {
    if (renderPending) return;
    renderPending = true;
    requestAnimationFrame(() => {
      renderPending = false;
      renderList("requests", exchangeRow);
      renderList("mail", messageRow);
      renderIndex();
    });
  }

  // Rows are kept by id and changed in place: a row being clicked is never swapped under the pointer.
  function renderList(kind, makeRow) {
    const journal = state[kind];
    $(`count-${kind}`).textContent = journal.rows.size;
    $(`dropped-${kind}`).textContent = journal.dropped
      ? `${journal.dropped.toLocaleString()} older dropped (the journal keeps ${(state.info.limit || 0).toLocaleString()})` : "";
    const rows = [...journal.rows.values()].filter((row) => passes(row, kind)).sort((a, b) => b.id - a.id);
    for (const id of journal.elements.keys()) {
      if (!journal.rows.has(id)) journal.elements.delete(id);
    }
    const tbody = $(`rows-${kind}`);
    let position = tbody.firstChild;
    for (const row of rows.slice(0, journal.shown)) {
      let kept = journal.elements.get(row.id);
      if (!kept || kept.row !== row) {
        const tr = makeRow(row);
        tr.dataset.id = row.id;
        tr.addEventListener("click", () => select(kind, row.id));
        kept = { row, tr };  // an old element of the row is left behind, and swept below
        journal.elements.set(row.id, kept);
      }
      kept.tr.classList.toggle("selected", row.id === journal.selected);
      if (kept.tr === position) position = position.nextSibling;
      else tbody.insertBefore(kept.tr, position);
    }
    while (position) {  // what is left after the rows shown: gone, filtered out, replaced
      const next = position.nextSibling;
      position.remove();
      position = next;
    }
    $(`empty-${kind}`).hidden = journal.rows.size > 0;
    const more = $(`more-${kind}`);
    more.hidden = rows.length <= journal.shown;
    more.textContent = `Show ${Math.min(SHOWN, rows.length - journal.shown)} more of ${rows.length - journal.shown} hidden`;
  }

  function exchangeRow(x) {
    const status = x.status === null ? h("span", { class: "pending" }, x.completed ? "—" : "…")
      : h("span", { class: `s${String(x.status)[0]}` }, String(x.status));
    // The host is shown where it is not this server's own (a proxy's, a virtual host's).
    const host = x.host === location.host ? "" : h("span", { class: "muted" }, x.host);
    return h("tr", null,
      h("td", { class: "mono" }, clock(x.time)), h("td", null, x.method),
      h("td", { class: "wide", title: x.host + target(x) }, host, target(x)),
      h("td", null, status, x.unmatched && h("span", { class: "badge unmatched", title: "no stub matched" }, "no stub"),
        x.error && h("span", { class: "badge error", title: x.error }, "app error")),
      h("td", { class: "num" }, x.completed ? duration(x.duration) : "…"),
      h("td", { class: "num" }, size(x.request_size)), h("td", { class: "num" }, size(x.response_size)));
  }

  function messageRow(m) {
    return h("tr", null, h("td", { class: "mono" }, clock(m.time)), h("td", null, m.from),
      h("td", null, m.to), h("td", { class: "wide" }, m.subject), h("td", { class: "num" }, size(m.size)));
  }

  function upsert(kind, rows) {
    if (kind === "requests" && state.found) search();  // new rows may hold the words
    for (const row of rows) {
      state[kind].rows.set(row.id, row);
      if (kind === "requests" && row.id === state.requests.selected && row.completed) {
        showDetails("requests", row.id);  // the answer arrived while its details were shown
      }
    }
    render();
  }

  function keepFrom(kind, { first, dropped }) {
    const journal = state[kind];
    journal.dropped = dropped;
    for (const id of [...journal.rows.keys()]) {
      if (first === null || id < first) journal.rows.delete(id);
    }
    if (journal.selected !== null && !journal.rows.has(journal.selected)) {
      journal.selected = null;
      $(`details-${kind}`).hidden = true;
    }
    render();
  }

  function reset() {
    for (const kind of ["requests", "mail"]) state[kind].rows.clear();
    render();
  }

  // -- details -------------------------------------------------------------------------

  async function select(kind, id) {
    state[kind].selected = id;
    render();
    await showDetails(kind, id);
  }

  async function showDetails(kind, id) {
    const pane = $(`details-${kind}`);
    const url = kind === "requests" ? `requests/${id}` : `messages/${id}`;
    const response = await fetch(url, { cache: "no-store" });
    if (state[kind].selected !== id) return;
    pane.replaceChildren(...(response.ok
      ? (kind === "requests" ? exchangeDetails : messageDetails)(await response.json())
      : [h("p", { class: "empty" }, `Gone from the journal (${response.status}).`)]));
    pane.hidden = false;
  }

  function bodyView(body, label) {
    if (body.kind === "empty") return section(label, h("p", { class: "note" }, "No body."));
    const views = [];
    const box = h("div");
    const show = (which) => {
      for (const button of views) button.setAttribute("aria-pressed", String(button.dataset.view === which));
      if (which === "hex") box.replaceChildren(h("pre", { class: "hex" }, body.hex),
        body.hex_truncated ? h("p", { class: "note" }, "The first 4 KiB; download for the rest.") : "");
      else if (body.kind === "image") box.replaceChildren(h("img", { class: "body", src: body.download, alt: label }));
      else box.replaceChildren(h("pre", { class: `body ${body.kind}` }, body.text),
        body.truncated ? h("p", { class: "note" }, "The first 256 KiB; download for the rest.") : "");
    };
    const main = body.kind === "binary" ? null : ({ json: "JSON", text: "Text", image: "Image" })[body.kind];
    for (const [which, name] of [["main", main], ["hex", "Hex"]]) {
      if (name) views.push(h("button", { type: "button", "data-view": which, onclick: () => show(which) }, name));
    }
    show(main ? "main" : "hex");
    return section(label, h("div", { class: "views" }, views,
      h("span", { class: "note" }, `${size(body.size)}${body.content_type ? ` · ${body.content_type}` : ""}`),
      h("a", { class: "button", href: body.download, download: "" }, "Download")), box);
  }

  async function copy(text, button) {
    try {
      await navigator.clipboard.writeText(text);
      button.textContent = "Copied";
    } catch (error) {
      button.textContent = "Select the command below to copy it";
    }
  }

  function exchangeDetails(x) {
    const curl = h("pre", { class: "curl" }, x.curl);
    const copyButton = h("button", { type: "button", onclick: () => copy(x.curl, copyButton) }, "Copy as curl");
    const response = x.response;
    return [
      h("h2", null, `${x.method} ${x.url}`),
      h("div", { class: "actions" }, copyButton,
        h("a", { class: "button", href: x.stub_file, download: "" }, "Download as stub file")),
      ...section("Request headers", pairs(x.headers)),
      ...(Object.keys(x.query_fields).length ? section("Query", pairs(Object.entries(x.query_fields)
        .flatMap(([name, values]) => values.map((value) => [name, value])))) : []),
      ...(Object.keys(x.form).length ? section("Form fields", pairs(Object.entries(x.form)
        .flatMap(([name, values]) => values.map((value) => [name, value])))) : []),
      ...(x.files.length ? section("Uploaded files", pairs(x.files.map((file) => [file.field,
        h("span", null, `${file.filename} · ${file.content_type} · ${size(file.size)} `,
          h("a", { href: file.download, download: "" }, "download"))]))) : []),
      ...(x.form_skipped ? [h("p", { class: "note" }, "Form fields not parsed: the body is over 8 MiB.")] : []),
      ...bodyView(x.body, "Request body"),
      ...(response ? [
        ...section("Response", h("p", { class: `status-line s${String(response.status)[0]}` },
          `${response.status} ${response.reason}`), pairs(response.headers)),
        ...bodyView(response.body, "Response body"),
      ] : section("Response", h("p", { class: "note" }, x.completed ? "None: the app failed before answering." : "Not yet…"))),
      ...(x.stub ? section("Answered by stub", h("pre", null,
        `${x.stub.description}\ncall ${x.stub.calls}${x.stub.times ? ` of ${x.stub.times}` : ""}`)) : []),
      ...(x.near_miss !== null ? section("No stub matched", h("pre", { class: "near-miss" }, x.near_miss)) : []),
      ...(x.traceback ? section("The app raised", h("pre", { class: "traceback" }, x.traceback)) : []),
      ...section("curl", curl),
    ];
  }

  function messageDetails(m) {
    const envelope = m.envelope;
    return [
      h("h2", null, m.subject || "(no subject)"),
      ...section("Envelope", pairs([["MAIL FROM", envelope.mail_from || "<>"],
        ["RCPT TO", envelope.rcpt_tos.join(", ")], ["Client", envelope.client.join(":")],
        ["User", envelope.user || "—"], ["TLS", envelope.tls ? "yes" : "no"]])),
      ...section("Headers", pairs(m.headers)),
      ...(m.text !== null ? section("Text part", h("pre", { class: "mail-text" }, m.text)) : []),
      ...(m.html ? section("HTML part (sandboxed: no scripts, no remote content)",
        h("iframe", { class: "mail-html", sandbox: "", src: m.html, title: "HTML part", referrerpolicy: "no-referrer" })) : []),
      ...(m.attachments.length ? section("Attachments", pairs(m.attachments.map((a) => [a.filename || "(unnamed)",
        h("span", null, `${a.content_type} · ${size(a.size)} `, h("a", { href: a.download, download: "" }, "download"))]))) : []),
      h("p", null, h("a", { class: "button", href: m.raw, target: "_blank", rel: "noopener" }, "Raw source")),
    ];
  }

  // -- the package index -----------------------------------------------------------------

  function renderIndex() {
    if (!state.info || !state.info.index || !state.index) return;
    const projects = state.index.projects;
    $("count-index").textContent = projects.length;
    $("empty-index").hidden = projects.length > 0;
    $("index-projects").replaceChildren(...projects.filter((p) => passes({ name: p.name }, "index")).map((project) =>
      h("div", { class: "project" }, h("h2", null, project.name), project.releases.map((release) => [
        h("h3", null, release.version),
        h("table", null, h("thead", null, h("tr", null, ["File", "Type", "Python", "Size", "Uploader", "Uploaded", "Metadata"]
          .map((name) => h("th", null, name)))),
        h("tbody", null, release.files.map((file) => h("tr", null,
          h("td", null, h("a", { href: file.download }, file.filename)), h("td", null, file.filetype),
          h("td", null, file.pyversion), h("td", null, size(file.size)), h("td", null, file.uploader || "—"),
          h("td", null, clock(file.upload_time)),
          h("td", null, h("details", null, h("summary", null, `${Object.keys(file.metadata).length} fields`),
            pairs([["sha256", file.digests.sha256], ...Object.entries(file.metadata)
              .map(([name, values]) => [name, values.join("\n")])])))))))]))));
  }

  // -- tabs, filter, actions -----------------------------------------------------------

  function showTab(tab) {
    for (const name of ["requests", "mail", "index"]) {
      $(`tab-${name}`).setAttribute("aria-selected", String(name === tab));
      $(`pane-${name}`).hidden = name !== tab;
    }
  }

  function wire() {
    for (const name of ["requests", "mail", "index"]) {
      $(`tab-${name}`).addEventListener("click", () => showTab(name));
    }
    $("filter").addEventListener("input", (event) => {
      state.filter = parseFilter(event.target.value);
      state.found = null;
      render();
      search();
    });
    for (const [kind, path] of [["requests", "requests"], ["mail", "messages"]]) {
      $(`clear-${kind}`).addEventListener("click", async () => {
        await fetch(path, { method: "DELETE" });
        keepFrom(kind, { first: null, dropped: state[kind].dropped });
      });
      $(`more-${kind}`).addEventListener("click", () => { state[kind].shown += SHOWN; render(); });
    }
  }

  // -- staying up to date ------------------------------------------------------------------

  function connection(text, kind) {
    const element = $("connection");
    element.textContent = text;
    element.className = `connection ${kind || ""}`;
  }

  function listen() {
    const source = new EventSource("events");
    let opened = false;
    source.addEventListener("open", () => { opened = true; connection("live", "live"); });
    source.addEventListener("reset", reset);
    source.addEventListener("journal", (e) => keepFrom("requests", JSON.parse(e.data)));
    source.addEventListener("mailbox", (e) => keepFrom("mail", JSON.parse(e.data)));
    source.addEventListener("exchanges", (e) => upsert("requests", JSON.parse(e.data)));
    source.addEventListener("messages", (e) => upsert("mail", JSON.parse(e.data)));
    source.addEventListener("index", (e) => { state.index = JSON.parse(e.data); render(); });
    source.addEventListener("error", () => {
      if (!opened) {  // never worked here (a proxy that buffers?): poll instead
        source.close();
        poll();
      } else {
        connection("reconnecting…", "down");
      }
    });
  }

  function since(rows) {
    let last = 0, pending = Infinity;
    for (const row of rows.values()) {
      last = Math.max(last, row.id);
      if (row.completed === false) pending = Math.min(pending, row.id);
    }
    return pending === Infinity ? last : pending - 1;
  }

  async function poll() {
    try {
      if (state.info.requests) {
        const answer = await (await fetch(`requests?since=${since(state.requests.rows)}`, { cache: "no-store" })).json();
        keepFrom("requests", answer);
        upsert("requests", answer.exchanges);
      }
      if (state.info.mail) {
        const answer = await (await fetch(`messages?since=${since(state.mail.rows)}`, { cache: "no-store" })).json();
        keepFrom("mail", answer);
        upsert("mail", answer.messages);
      }
      if (state.info.index) {
        state.index = await (await fetch("uploads", { cache: "no-store" })).json();
        render();
      }
      connection("polling", "live");
    } catch (error) {
      connection("server unreachable", "down");
    }
    setTimeout(poll, POLL_MS);
  }

  async function start() {
    wire();
    state.info = await (await fetch("info", { cache: "no-store" })).json();
    const tabs = ["requests", "mail", "index"].filter((name) => state.info[name]);
    for (const name of tabs) $(`tab-${name}`).hidden = false;
    showTab(tabs[0]);
    if (params.get("transport") === "poll" || !window.EventSource) poll();
    else listen();
  }

  start();
})();
