/// The dashboard's overview, node, alerts and rollout pages. Every value comes from the
/// JSON API fleetctl reads; nothing is computed twice beyond counting and grouping.
enum DashboardPagesJS {
    static let text = #"""
"use strict";
(() => {
  const { el, api, enc, age, since, time, bytes, badge, diskBar } = SF;

  function forecast(jobs) {
    const hours = (jobs || []).map((j) => j.diskFullInHours).filter((h) => h !== undefined && h !== null);
    return hours.length ? Math.min(...hours) : null;
  }
  const link = (kind, name) => el("a", { href: "#/" + kind + "/" + enc(name), text: name });
  const firingFor = (alerts, key, name) => alerts.filter((a) => a.state === "firing" && a.labels && a.labels[key] === name).length;

  SF.state.pages.overview = async () => {
    const [sites, nodes, stations, alerts] = await Promise.all([
      api("GET", "/v1/sites"), api("GET", "/v1/nodes"), api("GET", "/v1/stations"), api("GET", "/v1/alerts")]);
    const bySite = new Map(sites.map((s) => [s.name, []]));
    for (const node of nodes) { if (!bySite.has(node.site)) bySite.set(node.site, []); bySite.get(node.site).push(node); }
    const stationsByNode = new Map();
    for (const s of stations) { if (!stationsByNode.has(s.node)) stationsByNode.set(s.node, []); stationsByNode.get(s.node).push(s); }
    const online = nodes.filter((n) => n.state === "online").length;
    const recording = stations.filter((s) => s.state === "recording").length;
    const firing = alerts.filter((a) => a.state === "firing").length;
    const root = el("div", { id: "overview" },
      el("h1", { text: "Fleet overview" }),
      el("div", { class: "summary" },
        el("span", { id: "sum-nodes" }, badge(online === nodes.length ? "all online" : (nodes.length - online) + " offline",
                                                 online === nodes.length ? "ok" : "bad"), " " + online + " / " + nodes.length + " nodes online"),
        el("span", { id: "sum-stations" }, badge(recording === stations.length ? "all recording" : (stations.length - recording) + " not recording",
                                                    recording === stations.length ? "ok" : "bad"), " " + recording + " / " + stations.length + " stations recording"),
        el("span", {}, el("a", { href: "#/alerts" }, badge(firing + " firing", firing ? "bad" : "ok"), " alerts"))));
    for (const [site, siteNodes] of bySite) {
      const rows = siteNodes.sort((a, b) => a.name.localeCompare(b.name)).map((node) => {
        const behind = node.appliedRevision !== node.desiredRevision;
        const nodeStations = (stationsByNode.get(node.name) || []).sort((a, b) => a.name.localeCompare(b.name));
        const count = firingFor(alerts, "node", node.name);
        return el("tr", { "data-node": node.name },
          el("td", {}, link("node", node.name)),
          el("td", { class: "node-state" }, badge(node.state)),
          el("td", { class: "hide-narrow" }, age(node.lastHeartbeatAgeSeconds)),
          el("td", {}, badge(behind ? "behind" : "current", behind ? "warn" : "ok"), " " + node.appliedRevision + " / " + node.desiredRevision),
          el("td", { class: "hide-narrow" }, diskBar(node.diskUsedPercent, forecast(node.jobs))),
          el("td", { class: "hide-narrow" }, node.agentVersion || "–"),
          el("td", {}, badge(count + " firing", count ? "bad" : "ok")),
          el("td", {}, el("div", { class: "chips" }, nodeStations.map((s) =>
            el("a", { href: "#/station/" + enc(s.name), class: "station-chip", "data-station": s.name, "data-state": s.state },
              badge(s.name + ": " + s.state, SF.tone(s.state)))))));
      });
      root.append(el("section", { class: "site" },
        el("h2", { text: "Site " + site }),
        el("table", {},
          el("thead", {}, el("tr", {}, ["Node", "State", "Heartbeat", "Revision (applied / desired)", "Disk", "Agent", "Alerts", "Stations"]
            .map((h, i) => el("th", { class: [2, 4, 5].includes(i) ? "hide-narrow" : null, text: h })))),
          el("tbody", {}, rows))));
    }
    return root;
  };

  SF.state.pages.node = async ([name]) => {
    const [node, stations, alerts] = await Promise.all([
      api("GET", "/v1/nodes/" + enc(name)), api("GET", "/v1/stations"), api("GET", "/v1/alerts?node=" + enc(name))]);
    const mine = stations.filter((s) => s.node === node.name);
    return el("div", { id: "node" },
      el("h1", {}, "Node ", el("span", { class: "name", text: node.name }), " ", badge(node.state)),
      el("div", { class: "panel" },
        el("p", {}, "Site " + node.site + " · heartbeat " + age(node.lastHeartbeatAgeSeconds) + " ago · revision " +
          node.appliedRevision + " applied, " + node.desiredRevision + " desired · agent " + (node.agentVersion || "–")),
        el("p", {}, diskBar(node.diskUsedPercent, forecast(node.jobs))),
        (node.storage || []).map((m) => el("p", { class: "small", text: m.path + ": " + bytes(m.freeBytes) + " free of " + bytes(m.totalBytes) }))),
      el("h2", { text: "Stations" }),
      el("div", { class: "panel" }, el("table", {},
        el("thead", {}, el("tr", {}, ["Station", "State", "Newest segment", "Restarts"].map((h) => el("th", { text: h })))),
        el("tbody", {}, mine.map((s) => el("tr", {},
          el("td", {}, link("station", s.name)), el("td", {}, badge(s.state)),
          el("td", {}, s.newestSegmentAgeSeconds === undefined ? "none" : age(s.newestSegmentAgeSeconds) + " old"),
          el("td", { text: s.restarts })))))),
      el("h2", { text: "Jobs" }),
      el("div", { class: "panel" }, el("table", {},
        el("thead", {}, el("tr", {}, ["Job", "Kind", "Last success", "Last failure", "Backlog"].map((h) => el("th", { text: h })))),
        el("tbody", {}, (node.jobs || []).map((j) => el("tr", {},
          el("td", { text: j.job }), el("td", { text: j.kind }), el("td", { text: since(j.lastSuccessAt) }),
          el("td", {}, j.lastFailureAt ? badge("failed " + since(j.lastFailureAt), "bad") : "none", j.lastError ? " " + j.lastError : ""),
          el("td", { text: j.backlogFiles + " files, " + bytes(j.backlogBytes) })))))),
      node.failedUnits && node.failedUnits.length ? [el("h2", { text: "Failed units" }),
        el("div", { class: "panel" }, node.failedUnits.map((u) => el("p", {}, badge("failed", "bad"), " " + (typeof u === "string" ? u : u.name))))] : null,
      el("h2", { text: "Firing alerts" }),
      el("div", { class: "panel" }, alerts.length ? alerts.map((a) => el("p", {}, badge(a.state), " " + a.alertname + ": " + a.summary)) : "none"),
      el("h2", { text: "Recent events" }),
      eventList(node.recentEvents));
  };

  function eventList(events) {
    const list = (events || []).slice().sort((a, b) => Date.parse(b.time) - Date.parse(a.time)).slice(0, 50);
    return el("div", { class: "panel" }, list.length ? el("table", {}, el("tbody", {}, list.map((e) => el("tr", {},
      el("td", { class: "small", text: time(e.time) }), el("td", {}, badge(e.kind, "muted")),
      el("td", { text: (e.station ? e.station + ": " : "") + e.message }))))) : "none");
  }
  SF.eventList = eventList;

  async function act(button, method, path, body) {
    button.disabled = true;
    try { await api(method, path, body); SF.refresh(); } catch (error) {
      button.disabled = false;
      button.after(el("span", { class: "error", role: "alert", text: " " + error.message }));
    }
  }

  SF.state.pages.alerts = async () => {
    const alerts = await api("GET", "/v1/alerts");
    const admin = SF.isAdmin();
    const rows = alerts.map((a) => {
      const matchers = Object.entries(a.labels || {}).map(([k, v]) => k + "=" + JSON.stringify(v));
      const duration = el("select", { "aria-label": "silence for" },
        [["1 h", 3600], ["4 h", 14400], ["1 d", 86400], ["7 d", 604800]].map(([t, s]) => el("option", { value: s, text: t })));
      const actions = admin ? el("div", { class: "actions" },
        a.state === "firing" && !a.acknowledged ? el("button", { type: "button", class: "ack", onclick: (e) =>
          act(e.target, "POST", "/v1/alerts/" + enc(a.id) + "/ack", { comment: "acknowledged from the dashboard", by: "dashboard" }), text: "Acknowledge" }) : null,
        a.state === "firing" ? [duration, el("button", { type: "button", class: "silence", onclick: (e) =>
          act(e.target, "POST", "/v1/silences", { matchers, durationSeconds: Number(duration.value), comment: "silenced from the dashboard", by: "dashboard" }),
          text: "Silence" })] : null) : null;
      return el("tr", { "data-alert": a.id },
        el("td", {}, badge(a.state), a.acknowledged ? [" ", badge("acknowledged", "muted")] : null),
        el("td", {}, el("strong", { text: a.alertname }), el("div", { class: "small", text: a.summary })),
        el("td", { class: "small hide-narrow", text: Object.entries(a.labels || {}).map(([k, v]) => k + "=" + v).join(" ") }),
        el("td", { class: "small", text: since(a.startsAt) }),
        el("td", {}, actions));
    });
    return el("div", { id: "alerts" }, el("h1", { text: "Alerts" }),
      admin ? null : el("p", { class: "small", text: "Read-only: a viewer cannot acknowledge or silence." }),
      el("div", { class: "panel" }, alerts.length ? el("table", {},
        el("thead", {}, el("tr", {}, ["State", "Alert", "Labels", "Since", ""].map((h, i) => el("th", { class: i === 2 ? "hide-narrow" : null, text: h })))),
        el("tbody", {}, rows)) : "No firing or silenced alerts."));
  };

  // The operator's controls and the rollout states the API allows each in (others answer 409).
  const rolloutActions = [["pause", "Pause", ["running", "waiting-promotion"]], ["resume", "Resume", ["paused"]],
                          ["promote", "Promote", ["waiting-promotion"]]];

  SF.state.pages.rollout = async () => {
    const status = await api("GET", "/v1/rollout");
    const r = status.rollout;
    if (!r) return el("div", { id: "rollout" }, el("h1", { text: "Rollout" }), el("p", { text: "No rollout." }));
    const admin = SF.isAdmin();
    const allowed = rolloutActions.filter(([, , states]) => states.includes(r.state));
    return el("div", { id: "rollout", "data-revision": r.revision, "data-state": r.state },
      el("h1", {}, "Rollout of revision " + r.revision + " ", badge(r.state)),
      el("p", { class: "status", text: r.status + " · batch " + r.currentBatch + " of " + r.batchCount }),
      admin ? (allowed.length ? el("div", { class: "actions" }, allowed.map(([action, label]) =>
        el("button", { type: "button", class: action, onclick: (e) => act(e.target, "POST", "/v1/rollout/" + action), text: label }))) : null)
        : el("p", { class: "small", text: "Read-only: a viewer cannot pause, resume or promote." }),
      el("div", { class: "panel" }, el("table", {},
        el("thead", {}, el("tr", {}, ["Node", "Batch", "State", "Reason", "Served"].map((h, i) => el("th", { class: i === 4 ? "hide-narrow" : null, text: h })))),
        el("tbody", {}, r.nodes.map((n) => el("tr", { "data-node": n.name, "data-state": n.state }, el("td", {}, link("node", n.name)),
          el("td", { text: n.batch + (n.canary ? " (canary)" : "") }), el("td", {}, badge(n.state)),
          el("td", { text: n.reason + (n.detail ? ": " + n.detail : "") }),
          el("td", { class: "hide-narrow", text: "revision " + n.servedRevision })))))));
  };
})();
"""#
}
