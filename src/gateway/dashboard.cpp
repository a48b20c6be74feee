// The gateway's dashboard: one page of plain HTML and JavaScript. Chart.js (vendored, see
// third_party/chartjs) is served by the gateway itself at /chart.js: nothing from the network.
#include "tinyml/gateway/gateway.hpp"

namespace tinyml::gateway {

namespace {

constexpr std::string_view kPage = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tinyml gateway</title>
<script src="/chart.js"></script>
<style>
  body { font-family: system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #1d2330; }
  header { background: #1d2330; color: #fff; padding: 10px 20px; display: flex; align-items: center; gap: 16px; }
  header h1 { font-size: 18px; margin: 0; flex: 1; }
  header input { padding: 4px 6px; }
  main { padding: 16px 20px; display: grid; gap: 16px; }
  section { background: #fff; border-radius: 6px; padding: 12px 16px; box-shadow: 0 1px 2px #0002; }
  h2 { font-size: 15px; margin: 0 0 8px; }
  table { border-collapse: collapse; width: 100%; font-size: 14px; }
  th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #e3e5ea; }
  .online { color: #17803d; } .offline { color: #b42318; }
  .event { color: #b42318; font-weight: 600; }
  .devices { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 16px; }
  .card canvas { width: 100%; height: 200px; }
  .muted { color: #6b7280; font-size: 13px; }
  .switch { margin-right: 12px; }
  #message { color: #374151; min-height: 1.2em; }
  #message.error { color: #b42318; }
</style>
</head>
<body>
<header>
  <h1>tinyml gateway</h1>
  <span id="who" class="muted"></span>
  <span id="login-box">
    <input id="token" type="password" placeholder="token" autocomplete="current-password">
    <button id="login">Log in</button>
  </span>
  <button id="logout" hidden>Log out</button>
</header>
<main>
  <div id="message"></div>
  <section>
    <h2>Fleet</h2>
    <table><thead><tr><th>device</th><th>status</th><th>last seen</th><th>prediction</th><th>alerts</th><th>actuators</th></tr></thead>
    <tbody id="fleet"></tbody></table>
    <div class="muted" id="live">live: waiting</div>
  </section>
  <div class="devices" id="devices"></div>
  <section>
    <h2>Alerts</h2>
    <table><thead><tr><th>time</th><th>device</th><th>level</th><th>message</th></tr></thead><tbody id="alerts"></tbody></table>
  </section>
</main>
<script>
"use strict";
const state = { session: null, devices: {}, charts: {}, source: null, readings: 0 };
const $ = (id) => document.getElementById(id);
const time = (t) => t ? new Date(t * 1000).toLocaleTimeString() : "-";
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));

async function api(path, options) {
  const r = await fetch(path, Object.assign({ credentials: "same-origin" }, options || {}));
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw Object.assign(new Error(body.error || r.statusText), { status: r.status });
  return body;
}

function message(text, error) {
  $("message").textContent = text || "";
  $("message").className = error ? "error" : "";
}

async function refreshSession() {
  state.session = await api("/api/session");
  const s = state.session;
  $("login-box").hidden = s.authenticated;
  $("logout").hidden = !s.authenticated;
  $("who").textContent = s.authenticated ? "logged in" : (s.open_read ? "read-only" : "");
}

function card(d) {
  let el = document.querySelector(`.card[data-device="${d.id}"]`);
  if (el) return el;
  el = document.createElement("section");
  el.className = "card";
  el.dataset.device = d.id;
  el.innerHTML = `<h2>${esc(d.id)} <span class="prediction muted"></span></h2>
    <canvas></canvas>
    <div class="muted">readings received live: <span class="reading-count">0</span></div>
    <div class="switches"></div>`;
  $("devices").appendChild(el);
  const features = (d.info && d.info.features) || [];
  const colors = ["#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed"];
  state.charts[d.id] = new Chart(el.querySelector("canvas"), {
    type: "line",
    data: { labels: [], datasets: features.map((f, i) => ({ label: f, data: [], borderColor: colors[i % colors.length], pointRadius: 0, tension: 0.2 })) },
    options: { animation: false, responsive: true, scales: { x: { ticks: { maxTicksLimit: 6 } } } },
  });
  return el;
}

function actuatorSwitches(d) {
  const acts = d.actuators || {};
  const canControl = state.session && state.session.authenticated && state.session.control;
  return Object.keys(acts).sort().map((a) => {
    const on = acts[a].state === "on";
    return `<label class="switch"><input type="checkbox" data-device="${esc(d.id)}" data-actuator="${esc(a)}"
      ${on ? "checked" : ""} ${canControl ? "" : "disabled"}> ${esc(a)} <span class="actuator-state">${on ? "on" : "off"}</span></label>`;
  }).join("");
}

function render() {
  const rows = Object.values(state.devices).sort((a, b) => a.id.localeCompare(b.id));
  $("fleet").innerHTML = rows.map((d) => {
    const p = d.prediction ? d.prediction["class"] : "-";
    return `<tr data-device="${esc(d.id)}"><td>${esc(d.id)}</td>
      <td class="${d.online ? "online" : "offline"}">${d.online ? "online" : "offline"}</td>
      <td>${time(d.last_seen)}</td><td class="fleet-prediction ${p !== "-" && d.prediction.class_index ? "event" : ""}">${esc(p)}</td>
      <td>${d.alerts || 0}</td><td>${actuatorSwitches(d)}</td></tr>`;
  }).join("");
  for (const d of rows) {
    const el = card(d);
    const p = d.prediction;
    el.querySelector(".prediction").textContent = p ? `prediction: ${p["class"]}` : "";
    el.querySelector(".prediction").className = "prediction " + (p && p.class_index ? "event" : "muted");
    el.querySelector(".switches").innerHTML = actuatorSwitches(d);
  }
}

async function loadAlerts() {
  const alerts = await api("/api/alerts?limit=50");
  $("alerts").innerHTML = alerts.map((a) => `<tr><td>${time(a.ts)}</td><td>${esc(a.device)}</td><td>${esc(a.level || "")}</td><td>${esc(a.message)}</td></tr>`).join("");
}

async function loadFleet() {
  const list = await api("/api/devices");
  for (const d of list) state.devices[d.id] = Object.assign(state.devices[d.id] || {}, d);
  render();
  for (const d of list) {
    const readings = await api(`/api/devices/${encodeURIComponent(d.id)}/readings?limit=120`);
    const chart = state.charts[d.id];
    if (!chart) continue;
    chart.data.labels = [];
    chart.data.datasets.forEach((ds) => (ds.data = []));
    for (const r of readings.reverse()) addPoint(d.id, r.ts, r.body.values);
    chart.update();
  }
  await loadAlerts();
}

function addPoint(id, ts, values) {
  const chart = state.charts[id];
  if (!chart) return;
  chart.data.labels.push(time(ts));
  chart.data.datasets.forEach((ds) => ds.data.push(values[ds.label]));
  if (chart.data.labels.length > 120) {
    chart.data.labels.shift();
    chart.data.datasets.forEach((ds) => ds.data.shift());
  }
}

function onEvent(e) {
  const ev = JSON.parse(e.data);
  let d = state.devices[ev.device];
  if (!d) { loadFleet().catch(() => {}); return; }
  d.last_seen = ev.received;
  if (ev.kind === "telemetry") {
    addPoint(ev.device, ev.ts, ev.body.values);
    state.charts[ev.device] && state.charts[ev.device].update();
    const el = document.querySelector(`.card[data-device="${ev.device}"] .reading-count`);
    if (el) el.textContent = String(Number(el.textContent) + 1);
    state.readings++;
    $("live").textContent = `live: ${state.readings} readings received`;
    return;
  }
  if (ev.kind === "prediction") d.prediction = { "class": ev.body["class"], class_index: ev.body.index, ts: ev.ts };
  if (ev.kind === "action") {
    d.actuators = d.actuators || {};
    d.actuators[ev.body.actuator] = { state: ev.body.state, ts: ev.ts };
    if (ev.body.source === "command") message(`${ev.device} reports ${ev.body.actuator} ${ev.body.state}`);
  }
  if (ev.kind === "alert") { d.alerts = (d.alerts || 0) + 1; loadAlerts().catch(() => {}); }
  if (ev.kind === "status") { d.online = ev.body.online; }
  render();
}

function connectLive() {
  if (state.source) state.source.close();
  state.source = new EventSource("/api/events");
  state.source.onmessage = onEvent;
  state.source.onopen = () => { $("live").textContent = `live: connected, ${state.readings} readings received`; };
}

async function start() {
  await refreshSession();
  try {
    await loadFleet();
    connectLive();
    message("");
  } catch (e) {
    if (e.status === 401) message("Log in with the gateway's token to see the fleet.", true);
    else message(e.message, true);
  }
}

$("login").addEventListener("click", async () => {
  try {
    await api("/api/login", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ token: $("token").value }) });
    $("token").value = "";
    await start();
  } catch (e) { message(e.status === 401 ? "Wrong token." : e.message, true); }
});
$("logout").addEventListener("click", async () => { await api("/api/logout", { method: "POST" }); await start(); render(); });
$("token").addEventListener("keydown", (e) => { if (e.key === "Enter") $("login").click(); });

document.addEventListener("change", async (e) => {
  const t = e.target;
  if (!t.dataset || !t.dataset.actuator) return;
  const want = t.checked ? "on" : "off";
  t.disabled = true;
  try {
    await api(`/api/devices/${encodeURIComponent(t.dataset.device)}/actuators/${encodeURIComponent(t.dataset.actuator)}`,
      { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ state: want }) });
    message(`sent: ${t.dataset.actuator} ${want} to ${t.dataset.device}; waiting for the device to report it`);
  } catch (err) {
    t.checked = !t.checked;
    message(err.status === 401 ? "Log in to switch actuators." : err.message, true);
  }
  t.disabled = false;
});

start();
</script>
</body>
</html>
)html";

}  // namespace

std::string_view dashboard_html() { return kPage; }

}  // namespace tinyml::gateway
