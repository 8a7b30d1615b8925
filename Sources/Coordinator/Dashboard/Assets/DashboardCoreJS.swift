/// The dashboard's core script: API calls with the session cookie and CSRF header, sign-in
/// and sign-out, DOM building with `textContent` only (never `innerHTML`), routing and the
/// live event stream.
enum DashboardCoreJS {
    static let text = #"""
"use strict";
const SF = (() => {
  const state = { session: null, source: null, lastEvent: 0, lost: false, pages: {}, timer: null, rendering: false };
  const $ = (id) => document.getElementById(id);

  // Builds an element; children are nodes or strings (always set as text, never parsed as HTML).
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = String(value);
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, String(value));
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  class APIError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }

  async function api(method, path, body) {
    const headers = { "Accept": "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET" && state.session && state.session.csrfToken) headers["X-CSRF-Token"] = state.session.csrfToken;
    let response;
    try {
      response = await fetch(path, { method, headers, credentials: "same-origin", cache: "no-store",
                                     body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (error) {
      setLost(true);
      throw new APIError(0, "the coordinator does not answer");
    }
    if (response.status === 401 && path !== "/v1/session") { showSignIn("Your session ended; sign in again."); }
    if (!response.ok) {
      let message = response.status + " " + response.statusText;
      try { const envelope = await response.json(); if (envelope.error) message = envelope.error.message; } catch (_) {}
      throw new APIError(response.status, message);
    }
    if (response.status === 204) return null;
    return response.json();
  }

  const enc = encodeURIComponent;

  function age(seconds) {
    if (seconds === undefined || seconds === null) return "never";
    const s = Math.max(0, Math.round(seconds));
    if (s < 90) return s + " s";
    if (s < 5400) return Math.round(s / 60) + " min";
    if (s < 172800) return (s / 3600).toFixed(1) + " h";
    return (s / 86400).toFixed(1) + " d";
  }
  function duration(seconds) { return age(seconds); }
  function since(iso) { return iso ? age((Date.now() - Date.parse(iso)) / 1000) + " ago" : "never"; }
  function time(iso) { return iso ? new Date(iso).toLocaleString() : "–"; }
  function bytes(n) {
    if (n === undefined || n === null) return "–";
    const units = ["B", "kB", "MB", "GB", "TB"];
    let v = n, i = 0;
    while (v >= 1000 && i < units.length - 1) { v /= 1000; i++; }
    return v.toFixed(i ? 1 : 0) + " " + units[i];
  }

  // A state as colour plus text.
  const tones = { online: "ok", recording: "ok", resolved: "ok", succeeded: "ok", active: "ok",
                  offline: "bad", stalled: "bad", firing: "bad", failed: "bad", stopped: "bad",
                  pending: "warn", "backing-off": "warn", silenced: "muted", unknown: "muted", paused: "warn",
                  running: "ok", healthy: "ok", updating: "warn", "waiting-promotion": "warn", "waiting-offline": "warn",
                  reverting: "warn", reverted: "bad", "revert-failed": "bad" };
  function badge(text, tone) { return el("span", { class: "badge " + (tone || tones[text] || "muted"), text }); }

  function diskBar(percent, forecastHours) {
    if (percent === undefined || percent === null) return el("span", { class: "small", text: "no data" });
    const tone = percent >= 90 ? "bad" : percent >= 75 ? "warn" : "";
    const fill = el("i", { class: tone });
    fill.style.width = Math.min(100, Math.max(0, percent)).toFixed(0) + "%";
    const label = percent.toFixed(0) + "% used" + (forecastHours !== undefined && forecastHours !== null
      ? ", full in " + age(forecastHours * 3600) : "");
    return el("span", { title: label }, el("span", { class: "disk", role: "img", "aria-label": label }, fill), label);
  }

  function setLost(lost) {
    state.lost = lost;
    $("lost").hidden = !lost;
    $("conn").textContent = lost ? "● disconnected" : "● live";
  }

  // One EventSource per open page; a `change` event re-reads what the page shows.
  function connect() {
    if (state.source) state.source.close();
    const source = new EventSource("/v1/events");
    state.source = source;
    state.lastEvent = Date.now();
    source.addEventListener("open", () => { state.lastEvent = Date.now(); if (state.lost) { setLost(false); refresh(); } });
    source.addEventListener("ping", () => { state.lastEvent = Date.now(); if (state.lost) { setLost(false); refresh(); } });
    source.addEventListener("change", () => { state.lastEvent = Date.now(); setLost(false); scheduleRefresh(); });
    source.addEventListener("error", async () => {
      if (source.readyState === EventSource.CLOSED) {
        setLost(true);
        try { await api("GET", "/v1/session"); } catch (error) {
          if (error.status === 401) { showSignIn("Your session ended; sign in again."); return; }
        }
        setTimeout(() => { if (state.source === source && state.session) connect(); }, 2000);
      } else {
        // EventSource retries by itself (also when a stream ends after its timeout): only a
        // retry that does not succeed within 3 s means the coordinator is lost.
        setTimeout(() => { if (state.source === source && source.readyState !== EventSource.OPEN) setLost(true); }, 3000);
      }
    });
  }

  // A stream that went quiet (no ping for 12 s) counts as lost even if the socket looks open.
  setInterval(() => {
    if (state.source && state.session && Date.now() - state.lastEvent > 12000) { setLost(true); connect(); }
  }, 3000);

  // At most one re-read a second, at least 250 ms after the change (changes come in bursts).
  function scheduleRefresh() {
    if (state.timer) return;
    const wait = Math.max(250, 1000 - (Date.now() - (state.lastRender || 0)));
    state.timer = setTimeout(() => { state.timer = null; refresh(); }, wait);
  }

  // Someone is choosing in a form control of the view: do not pull it away under them.
  function busy() {
    const active = document.activeElement;
    return !!active && $("view").contains(active) && ["SELECT", "INPUT", "TEXTAREA"].includes(active.tagName);
  }

  async function refresh() {
    if (!state.session) return;
    // A change that arrives while the page renders is shown by one more render right after.
    if (state.rendering) { state.again = true; return; }
    if (busy()) { state.again = false; setTimeout(scheduleRefresh, 1000); return; }
    state.rendering = true;
    const hash = location.hash || "#/";
    const parts = hash.slice(2).split("/").map(decodeURIComponent);
    const page = state.pages[parts[0] || "overview"] || state.pages.overview;
    const view = $("view");
    try {
      const content = await page(parts.slice(1));
      view.replaceChildren(content);
      view.dataset.rendered = String(Date.now());
      // Milliseconds from navigation to the first complete view (the browser test reads it).
      if (!view.dataset.firstRenderMs) view.dataset.firstRenderMs = String(Math.round(performance.now()));
    } catch (error) {
      if (error.status !== 401) view.replaceChildren(el("p", { class: "error", role: "alert", text: "Could not load: " + error.message }));
    } finally {
      state.rendering = false;
      state.lastRender = Date.now();
      if (state.again) { state.again = false; scheduleRefresh(); }
    }
  }

  function showSignIn(message) {
    state.session = null;
    if (state.source) { state.source.close(); state.source = null; }
    $("signin").hidden = false;
    $("nav").hidden = true;
    $("signout").hidden = true;
    $("who").textContent = "";
    $("conn").textContent = "";
    $("lost").hidden = true;
    $("view").replaceChildren();
    $("signin-error").textContent = message || "";
    document.body.dataset.signedIn = "false";
  }

  function signedIn(session) {
    state.session = session;
    $("signin").hidden = true;
    $("nav").hidden = false;
    $("signout").hidden = false;
    $("who").textContent = "signed in as " + session.role;
    document.body.dataset.signedIn = "true";
    document.body.dataset.role = session.role;
    setLost(false);
    connect();
    refresh();
  }

  async function start() {
    $("signin").addEventListener("submit", async (event) => {
      event.preventDefault();
      const field = $("token");
      const token = field.value;
      field.value = "";
      try {
        signedIn(await api("POST", "/v1/session", { token }));
      } catch (error) {
        $("signin-error").textContent = error.status === 401 ? "That token is not accepted." : "Sign-in failed: " + error.message;
      }
    });
    $("signout").addEventListener("click", async () => {
      try { await api("POST", "/v1/session/end"); } catch (_) {}
      showSignIn("Signed out.");
    });
    window.addEventListener("hashchange", refresh);
    // Without the (non-secret) hint cookie there is no session to ask about.
    if (!document.cookie.split("; ").includes("sf_signed_in=1")) { showSignIn(); return; }
    try {
      const session = await api("GET", "/v1/session");
      if (session.csrfToken) signedIn(session); else showSignIn();
    } catch (_) {
      showSignIn();
    }
  }

  document.addEventListener("DOMContentLoaded", start);
  const tone = (value) => tones[value] || "muted";
  return { el, api, enc, age, duration, since, time, bytes, badge, tone, diskBar, state, refresh,
           isAdmin: () => state.session && state.session.role === "admin" };
})();
"""#
}
