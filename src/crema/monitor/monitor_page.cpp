// The monitor's page: one self-contained HTML file with a small canvas line
// chart, polling /api/status and /api/series once a second.
#include "crema/monitor/training_monitor.hpp"

namespace crema {

const char* MonitorPageHtml() {
  return R"HTML(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>crema training monitor</title>
<style>
 body { font: 14px system-ui, sans-serif; margin: 16px; background: #fafafa; color: #222; }
 h1 { font-size: 18px; margin: 0 0 8px; }
 #facts span { display: inline-block; margin-right: 18px; }
 #facts b { font-variant-numeric: tabular-nums; }
 .charts { display: flex; flex-wrap: wrap; gap: 12px; margin-top: 12px; }
 .chart { background: #fff; border: 1px solid #ddd; border-radius: 4px; padding: 6px; }
 .chart h2 { font-size: 13px; margin: 0 0 4px; font-weight: 600; }
 button { font-size: 14px; padding: 4px 14px; margin-right: 8px; }
 #message { color: #555; margin-left: 8px; }
</style></head>
<body>
<h1>crema training monitor</h1>
<div id="facts">
 <span>iteration <b id="iteration">-</b></span>
 <span>loss <b id="loss">-</b></span>
 <span>lr <b id="lr">-</b></span>
 <span>images/s <b id="speed">-</b></span>
 <span>ETA <b id="eta">-</b></span>
 <span>points plotted <b id="points">0</b></span>
</div>
<p><button id="snapshot">Snapshot now</button><button id="stop">Stop</button>
<span id="message"></span></p>
<div class="charts">
 <div class="chart"><h2>Loss</h2><canvas id="loss_chart" width="460" height="260"></canvas></div>
 <div class="chart"><h2>Accuracy (test)</h2><canvas id="accuracy_chart" width="460" height="260"></canvas></div>
 <div class="chart"><h2>Learning rate</h2><canvas id="lr_chart" width="460" height="260"></canvas></div>
</div>
<script>
"use strict";
const token = new URLSearchParams(location.search).get("token") || "";
const colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"];

function fmt(v) {
  if (v === null || v === undefined) return "-";
  const a = Math.abs(v);
  return (a !== 0 && (a < 1e-3 || a >= 1e5)) ? v.toExponential(3) : String(+v.toPrecision(5));
}

// lines: [{label, points: [[x, y], ...]}]
function drawChart(canvas, lines) {
  const ctx = canvas.getContext("2d");
  const W = canvas.width, H = canvas.height, L = 72, R = 10, T = 10, B = 34;
  ctx.clearRect(0, 0, W, H);
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity, n = 0;
  for (const line of lines) for (const [x, y] of line.points) {
    if (y === null || !isFinite(y)) continue;
    x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); n++;
  }
  ctx.strokeStyle = "#999"; ctx.lineWidth = 1;
  ctx.strokeRect(L, T, W - L - R, H - T - B);
  ctx.fillStyle = "#444"; ctx.font = "11px sans-serif";
  if (n === 0) { ctx.fillText("waiting for the log...", L + 10, T + 20); return 0; }
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) { y1 += Math.abs(y1) * 0.1 + 1e-6; y0 -= Math.abs(y0) * 0.1 + 1e-6; }
  const sx = x => L + (x - x0) / (x1 - x0) * (W - L - R);
  const sy = y => H - B - (y - y0) / (y1 - y0) * (H - T - B);
  for (let i = 0; i <= 4; i++) {
    const y = y0 + (y1 - y0) * i / 4, x = x0 + (x1 - x0) * i / 4;
    ctx.fillText(fmt(y), 2, sy(y) + 4);
    ctx.fillText(fmt(Math.round(x)), sx(x) - 10, H - B + 14);
    ctx.strokeStyle = "#eee"; ctx.beginPath(); ctx.moveTo(L, sy(y)); ctx.lineTo(W - R, sy(y)); ctx.stroke();
  }
  ctx.fillText("iteration", W / 2 - 20, H - 4);
  lines.forEach((line, k) => {
    ctx.strokeStyle = colors[k % colors.length]; ctx.fillStyle = ctx.strokeStyle; ctx.lineWidth = 2;
    ctx.beginPath();
    let started = false;
    for (const [x, y] of line.points) {
      if (y === null || !isFinite(y)) continue;
      if (started) ctx.lineTo(sx(x), sy(y)); else { ctx.moveTo(sx(x), sy(y)); started = true; }
    }
    ctx.stroke();
    ctx.fillText(line.label, W - R - 110, T + 14 + 13 * k);
  });
  return n;
}

function seriesOf(rows, name, label) {
  return { label: label, points: rows.filter(r => name in r.outputs).map(r => [r.iteration, r.outputs[name]]) };
}

async function refresh() {
  try {
    const status = await (await fetch("/api/status")).json();
    const series = await (await fetch("/api/series")).json();
    document.getElementById("iteration").textContent =
      status.iteration + (status.max_iteration > 0 ? " / " + status.max_iteration : "");
    document.getElementById("loss").textContent = fmt(status.loss);
    document.getElementById("lr").textContent = fmt(status.lr);
    document.getElementById("speed").textContent = fmt(status.images_per_second);
    document.getElementById("eta").textContent = status.eta || "-";
    const lossLines = [{ label: "train loss", points: series.train.map(r => [r.iteration,
      "loss" in r.outputs ? r.outputs.loss : Object.values(r.outputs)[0]]) }];
    if (series.test.some(r => "loss" in r.outputs)) lossLines.push(seriesOf(series.test, "loss", "test loss"));
    let n = drawChart(document.getElementById("loss_chart"), lossLines);
    n += drawChart(document.getElementById("accuracy_chart"), [seriesOf(series.test, "accuracy", "test accuracy")]);
    n += drawChart(document.getElementById("lr_chart"),
                   [{ label: "lr", points: series.train.map(r => [r.iteration, r.lr]) }]);
    document.getElementById("points").textContent = n;
  } catch (e) {
    document.getElementById("message").textContent = "training process not reachable";
  }
}

async function press(action) {
  const response = await fetch("/api/" + action + (token ? "?token=" + encodeURIComponent(token) : ""),
                               { method: "POST" });
  const body = await response.json();
  document.getElementById("message").textContent = body.ok ? action + " requested" : body.error;
}
document.getElementById("snapshot").onclick = () => press("snapshot");
document.getElementById("stop").onclick = () => press("stop");
refresh();
setInterval(refresh, 1000);
</script>
</body></html>
)HTML";
}

}  // namespace crema
