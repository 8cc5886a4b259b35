// The dashboard: plain SVG from the metrics service's JSON, refreshed every few seconds. No build step.
"use strict";
const SVG = "http://www.w3.org/2000/svg";
const BUCKETS = ["<1m", "1-5m", "5-15m", "15-30m", "30-60m", "1-4h", "4-24h", ">1d"];
let lastFeedId = 0;
const KEY_STORE = "leadrelay-viewer-key";

// The viewer key comes from the link make run prints (#key=..., never sent to the server) or the key form,
// and stays in this tab's session storage.
function viewerKey() {
  const match = /(?:^#|&)key=([^&]+)/.exec(location.hash);
  if (match) {
    sessionStorage.setItem(KEY_STORE, decodeURIComponent(match[1]));
    history.replaceState(null, "", location.pathname + location.search);
  }
  return sessionStorage.getItem(KEY_STORE) || "";
}

async function api(path) {
  const response = await fetch(path, {headers: {"X-API-Key": viewerKey()}});
  if (response.status === 401 || response.status === 403) {
    document.getElementById("keyform").hidden = false;
    document.getElementById("status").textContent = "this dashboard needs a viewer key";
    throw new Error("no viewer key");
  }
  return response.json();
}

function el(name, attrs, text) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function query() {
  const params = new URLSearchParams();
  for (const id of ["from", "to"]) { const v = document.getElementById(id).value; if (v) params.set(id, v); }
  return params.toString();
}

function bars(svg, rows, colour) {
  svg.replaceChildren();
  const width = svg.clientWidth || 420, max = Math.max(1, ...rows.map(r => r.value));
  rows.forEach((row, i) => {
    const y = 8 + i * 34, w = Math.max(2, (width - 190) * row.value / max);
    svg.append(el("text", {x: 0, y: y + 17}, row.label));
    svg.append(el("rect", {x: 110, y, width: w, height: 24, fill: colour, rx: 3}));
    svg.append(el("text", {x: 116 + w, y: y + 17, "data-step": row.label}, String(row.value)));
  });
}

function columns(svg, labels, series, colours) {
  svg.replaceChildren();
  const width = svg.clientWidth || 420, height = 180, max = Math.max(1, ...series.flatMap(s => s.values));
  const slot = (width - 20) / labels.length, bar = slot / (series.length + 1);
  labels.forEach((label, i) => {
    series.forEach((s, j) => {
      const h = height * s.values[i] / max, x = 10 + i * slot + j * bar;
      svg.append(el("rect", {x, y: 10 + height - h, width: bar - 2, height: h, fill: colours[j]}));
    });
    svg.append(el("text", {x: 10 + i * slot, y: height + 28}, label));
  });
  series.forEach((s, j) => svg.append(el("text", {x: width - 160, y: 14 + j * 16, style: `fill: ${colours[j]}`}, "■ " + s.name)));
}

function line(svg, points) {
  svg.replaceChildren();
  const width = svg.clientWidth || 420, height = 170;
  if (!points.length) { svg.append(el("text", {x: 10, y: 30}, "no handoffs decided yet")); return; }
  const step = points.length > 1 ? (width - 60) / (points.length - 1) : 0;
  const xy = points.map((p, i) => [40 + i * step, 10 + height * (1 - p.compliance)]);
  svg.append(el("polyline", {points: xy.map(p => p.join(",")).join(" "), fill: "none", stroke: "#2f6fed", "stroke-width": 2}));
  xy.forEach(([x, y], i) => {
    svg.append(el("circle", {cx: x, cy: y, r: 3, fill: "#2f6fed"}));
    svg.append(el("text", {x: x - 12, y: y - 6}, Math.round(points[i].compliance * 100) + "%"));
    svg.append(el("text", {x: x - 30, y: height + 34}, points[i].day));
  });
}

function figure(label, value) {
  const div = document.createElement("div");
  div.className = "kpi";
  div.innerHTML = "<b></b><span></span>";
  div.querySelector("b").textContent = value === null || value === undefined ? "–" : value;
  div.querySelector("span").textContent = label;
  return div;
}

async function refresh() {
  const [kpis, breakdown] = await Promise.all([
    api("/v1/kpis?" + query()),
    api("/v1/breakdown?" + query()),
  ]);
  const k = kpis.kpis, f = k.funnel;
  bars(document.getElementById("funnel"), [
    {label: "leads", value: k.leads}, {label: "mql", value: f.mql}, {label: "sql", value: f.sql},
    {label: "handed off", value: f.handed_off}, {label: "contacted", value: f.contacted}, {label: "won", value: f.won},
  ], "#2f6fed");
  const pct = v => v === null ? null : Math.round(v * 1000) / 10 + "%";
  const secs = v => v === null ? null : (v < 120 ? v.toFixed(1) + " s" : (v / 60).toFixed(1) + " min");
  document.getElementById("kpis").replaceChildren(
    figure("lead → sql", pct(k.conversion.lead_to_sql)),
    figure("sql → won", pct(k.conversion.sql_to_won)),
    figure("SLA compliance", pct(k.sla.compliance)),
    figure("routing time p95", secs(k.speed_to_lead_seconds.routing_p95)),
    figure("rep time p50", secs(k.speed_to_lead_seconds.rep_p50)),
    figure("cost per lead", k.money.cost_per_lead),
    figure("acquisition cost", k.money.customer_acquisition_cost),
    figure("ROI", k.money.roi),
  );
  columns(document.getElementById("speed"), BUCKETS,
    [{name: "routing time", values: breakdown.speed.routing}, {name: "rep time", values: breakdown.speed.rep}],
    ["#2f6fed", "#e07b00"]);
  line(document.getElementById("sla"), breakdown.sla_daily.filter(d => d.compliance !== null));
  const body = document.querySelector("#sources tbody");
  body.replaceChildren(...breakdown.sources.map(s => {
    const tr = document.createElement("tr");
    for (const [v, numeric] of [[s.source || "unknown", false], [s.leads, true], [s.sql, true], [s.won, true], [s.revenue, true]]) {
      const td = document.createElement("td");
      td.textContent = v;
      if (numeric) td.className = "n";
      tr.append(td);
    }
    return tr;
  }));
  document.getElementById("status").textContent = "updated " + new Date().toLocaleTimeString();
}

async function pollFeed() {
  const items = await api("/v1/feed?after=" + lastFeedId);
  const list = document.getElementById("feed");
  for (const item of items.reverse()) {
    lastFeedId = Math.max(lastFeedId, item.id);
    const li = document.createElement("li");
    li.className = item.kind;
    const d = item.detail;
    const what = item.kind === "breach" ? `breach: ${d.owner} in ${d.queue}, ${d.overdue_seconds}s over`
      : `${item.kind}: grade ${d.grade} to ${d.owner} in ${d.queue}` + (d.attempt > 1 ? ` (attempt ${d.attempt})` : "");
    li.textContent = new Date(item.at).toLocaleString() + " · " + what;
    list.prepend(li);
  }
}

for (const id of ["from", "to"]) document.getElementById(id).addEventListener("change", refresh);
document.getElementById("keyform").addEventListener("submit", event => {
  event.preventDefault();
  sessionStorage.setItem(KEY_STORE, document.getElementById("key").value.trim());
  document.getElementById("keyform").hidden = true;
  refresh();
  pollFeed();
});
refresh();
pollFeed();
setInterval(refresh, 10000);
setInterval(pollFeed, 3000);
