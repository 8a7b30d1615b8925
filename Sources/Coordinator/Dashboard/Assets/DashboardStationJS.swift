/// The dashboard's station page: state, current segment and its age, and the recording
/// coverage timelines (24 h and 7 d) from `GET /v1/stations/{name}/recordings`, each gap
/// drawn, hoverable and listed with the events around it.
enum DashboardStationJS {
    static let text = #"""
"use strict";
(() => {
  const { el, api, enc, age, duration, time, bytes, badge } = SF;

  // The station's events near a gap: within half its length (30 s to 10 min) of either edge, at most 8.
  function around(events, gap) {
    const margin = Math.min(600000, Math.max(30000, gap.seconds * 500));
    const from = Date.parse(gap.from) - margin, to = Date.parse(gap.to) + margin;
    return (events || []).filter((e) => { const t = Date.parse(e.time); return t >= from && t <= to; })
      .sort((a, b) => Date.parse(a.time) - Date.parse(b.time)).slice(-8);
  }

  function timeline(view, events, label) {
    const from = Date.parse(view.from), to = Date.parse(view.to);
    const span = Math.max(1, to - from);
    const pos = (t) => Math.min(100, Math.max(0, ((t - from) / span) * 100));
    const bar = el("div", { class: "timeline", role: "img",
      "aria-label": label + ": " + view.gaps.length + " gaps, " + duration(view.coveredSeconds) + " recorded" });
    for (const s of view.segments) {
      const start = Date.parse(s.start), end = start + s.durationSeconds * 1000;
      const block = el("div", { class: "cov" });
      block.style.left = pos(start) + "%";
      block.style.width = Math.max(0.05, pos(end) - pos(start)) + "%";
      bar.append(block);
    }
    view.gaps.forEach((gap, index) => {
      const near = around(events, gap);
      const text = "Gap " + (index + 1) + ": " + time(gap.from) + " – " + time(gap.to) + " (" + duration(gap.seconds) + ")" +
        (near.length ? "\n" + near.map((e) => time(e.time) + " " + e.kind + ": " + e.message).join("\n") : "");
      // data-open: the gap runs to the window's end (nothing recorded after it yet).
      const block = el("div", { class: "gap", title: text, tabindex: "0", "data-gap": index, "data-from": gap.from,
                                "data-to": gap.to, "data-open": Date.parse(gap.to) >= to ? "true" : "false" });
      block.style.left = pos(Date.parse(gap.from)) + "%";
      block.style.width = Math.max(0.2, pos(Date.parse(gap.to)) - pos(Date.parse(gap.from))) + "%";
      bar.append(block);
    });
    const gapRows = view.gaps.map((gap, index) => el("tr", {},
      el("td", { text: String(index + 1) }), el("td", { text: time(gap.from) }), el("td", { text: time(gap.to) }),
      el("td", {}, badge(duration(gap.seconds), "bad")),
      el("td", { class: "small" }, around(events, gap).map((e) => el("div", { text: time(e.time) + " " + e.kind + ": " + e.message })))));
    // Before the station's first recording ever there is no data (grey), not a gap.
    const since = view.recordingSince ? Date.parse(view.recordingSince) : from;
    const dataSpan = to - Math.max(from, since);
    const percent = dataSpan > 0 ? ((view.coveredSeconds * 1000) / dataSpan) * 100 : 0;
    if (since > from && since < to) {
      const none = el("div", { class: "none", title: "No data before the first recording, " + time(view.recordingSince) });
      none.style.left = "0%";
      none.style.width = pos(since) + "%";
      bar.append(none);
    }
    return el("section", { class: "panel coverage", "data-window": label },
      el("h2", { text: label + ": " + percent.toFixed(1) + "% recorded, " + view.gaps.length + " gap" + (view.gaps.length === 1 ? "" : "s") }),
      bar,
      el("div", { class: "axis" }, el("span", { text: time(view.from) }), el("span", { text: time(view.to) })),
      el("div", { class: "legend" }, el("span", { class: "sw cov" }), "recorded", el("span", { class: "sw gap" }), "gap",
        el("span", { class: "sw none" }), "no data"),
      view.gaps.length ? el("table", { class: "gaps" },
        el("thead", {}, el("tr", {}, ["#", "From", "To", "Length", "Events around it"].map((h) => el("th", { text: h })))),
        el("tbody", {}, gapRows)) : el("p", { text: "No gaps." }));
  }

  // The latest snapshot the coordinator holds (JPEG in base64) as an image; one object URL
  // alive at a time (the page is re-rendered on every change).
  function snapshotPanel(path, station, snap, admin) {
    if (SF.state.snapshotURL) { URL.revokeObjectURL(SF.state.snapshotURL); SF.state.snapshotURL = null; }
    const parts = [el("h2", { text: "Snapshot" })];
    if (snap) {
      const raw = atob(snap.jpeg), bytes = new Uint8Array(raw.length);
      for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
      SF.state.snapshotURL = URL.createObjectURL(new Blob([bytes], { type: "image/jpeg" }));
      parts.push(el("img", { class: "snapshot", src: SF.state.snapshotURL, alt: "Camera picture of " + station.name +
        " captured " + time(snap.capturedAt), "data-captured": snap.capturedAt }));
      parts.push(el("p", { class: "small", text: "Captured " + time(snap.capturedAt) + " (" +
        age((Date.now() - Date.parse(snap.capturedAt)) / 1000) + " ago) from " + snap.segment +
        (snap.width ? ", " + snap.width + "×" + snap.height : "") }));
    } else {
      parts.push(el("p", { class: "small", text: "No snapshot taken yet." }));
    }
    if (admin) {
      parts.push(el("button", { type: "button", class: "snapshot", text: "Take snapshot", onclick: async (e) => {
        e.target.disabled = true;
        e.target.textContent = "Taking snapshot…";
        try {
          const command = await api("POST", path + "/snapshot");
          // The node answers over its own connection within seconds; follow the command (at most 30 s).
          for (let i = 0; i < 30; i++) {
            const view = await api("GET", "/v1/commands/" + enc(command.id));
            if (view.state !== "pending" && view.state !== "delivered") break;
            await new Promise((resolve) => setTimeout(resolve, 1000));
          }
        } catch (error) {
          e.target.textContent = "Snapshot failed: " + error.message;
          return;
        }
        SF.refresh();
      } }));
    }
    return el("section", { class: "panel", id: "snapshot" }, parts);
  }

  SF.state.pages.station = async ([name]) => {
    const now = Date.now();
    const range = (hours) => "?from=" + enc(new Date(now - hours * 3600 * 1000).toISOString().replace(/\.\d+Z$/, "Z")) +
      "&to=" + enc(new Date(now).toISOString().replace(/\.\d+Z$/, "Z"));
    const path = "/v1/stations/" + enc(name);
    const [station, hour, day, week] = await Promise.all([
      api("GET", path), api("GET", path + "/recordings" + range(1)), api("GET", path + "/recordings" + range(24)),
      api("GET", path + "/recordings" + range(24 * 7))]);
    // Asked only when the coordinator holds one (a 404 would be a console error).
    const snap = station.lastSnapshotAt ? await api("GET", path + "/snapshot").catch(() => null) : null;
    const admin = SF.isAdmin();
    return el("div", { id: "station" },
      el("h1", {}, "Station ", el("span", { class: "name", text: station.name }), " ", badge(station.state)),
      el("div", { class: "panel" },
        el("p", {}, "Node ", el("a", { href: "#/node/" + enc(station.node), text: station.node }), " · site " + station.site +
          " · camera " + station.camera + " · " + station.restarts + " restarts"),
        el("p", { text: "Current segment: " + (station.currentSegment || "none") +
          (station.currentSegmentBytes !== undefined ? " (" + bytes(station.currentSegmentBytes) + ")" : "") +
          " · newest closed segment " + (station.newestSegmentAgeSeconds !== undefined ? age(station.newestSegmentAgeSeconds) + " old" : "none") }),
        // Once recording again, the last error is history: shown, but not as an alarm.
        station.lastError ? el("p", station.state === "recording"
          ? { class: "small", text: "Previous error (recording again since): " + station.lastError }
          : { class: "error", text: "Last error: " + station.lastError }) : null,
        admin ? el("button", { type: "button", onclick: async (e) => { e.target.disabled = true;
          try { await api("POST", path + "/restart"); } finally { SF.refresh(); } }, text: "Restart recorder" }) : null),
      timeline(hour, station.recentEvents, "Last hour"),
      timeline(day, station.recentEvents, "Last 24 hours"),
      timeline(week, station.recentEvents, "Last 7 days"),
      snapshotPanel(path, station, snap, admin),
      el("h2", { text: "Recent events" }),
      SF.eventList(station.recentEvents));
  };
})();
"""#
}
