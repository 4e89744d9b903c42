// The static parts of the HTML report: style and the script that draws the charts from the
// embedded data. Kept apart from html_report.cpp so the C++ that fills it in stays readable.

#include "report/html_page.hpp"

namespace cclbench::html {

const char* kStyle = R"css(
:root { --fg:#1d2330; --muted:#5b6577; --line:#d9dee7; --card:#ffffff; --bg:#f4f6fa;
        --accent:#2f6fde; --bad:#c0392b; --good:#1e8e5a; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
       color:var(--fg); background:var(--bg); }
header { background:#1d2330; color:#fff; padding:18px 28px; }
header h1 { margin:0; font-size:20px; font-weight:600; }
header .sub { color:#b9c2d3; margin-top:4px; font-size:13px; }
main { padding:20px 28px 40px; max-width:1500px; margin:0 auto; }
h2 { font-size:16px; margin:28px 0 10px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px;
        padding:14px 16px; margin-bottom:16px; }
.grid { display:grid; grid-template-columns:repeat(auto-fit,minmax(440px,1fr)); gap:14px; }
.chart-box { position:relative; height:300px; }
.chart-title { font-weight:600; margin-bottom:6px; }
.chart-title .meta { color:var(--muted); font-weight:400; }
table { border-collapse:collapse; width:100%; font-size:13px; }
th, td { text-align:left; padding:5px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
th { color:var(--muted); font-weight:600; background:#fafbfd; }
td.num { text-align:right; font-variant-numeric:tabular-nums; }
.verdict-slower { color:var(--bad); font-weight:600; }
.verdict-faster { color:var(--good); font-weight:600; }
.swatch { display:inline-block; width:10px; height:10px; border-radius:2px; margin-right:6px; }
.legend span { margin-right:16px; white-space:nowrap; }
pre.md { background:#0f1420; color:#dfe6f3; padding:12px; border-radius:6px; overflow:auto;
         font-size:12px; }
button { font:inherit; border:1px solid var(--line); background:#fff; border-radius:6px;
         padding:4px 10px; cursor:pointer; }
.muted { color:var(--muted); }
.wrap { word-break:break-all; }
)css";

const char* kScript = R"js(
(function () {
  const data = JSON.parse(document.getElementById('cclbench-data').textContent);
  const palette = ['#2f6fde', '#e4572e', '#17a398', '#f3a712', '#8e44ad', '#5b6577',
                   '#c0392b', '#27ae60'];
  const color = i => palette[i % palette.length];
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  function bytes(v) {
    let u = 0;
    while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
    return (Number.isInteger(v) ? v : v.toFixed(1)) + ' ' + units[u];
  }
  function groupKey(c) { return [c.collective, c.dtype, c.redop, c.placement].join('|'); }
  const groups = new Map();
  data.runs.forEach((run, r) => run.cases.forEach(c => {
    const k = groupKey(c);
    if (!groups.has(k)) groups.set(k, { c, perRun: data.runs.map(() => []) });
    groups.get(k).perRun[r].push(c);
  }));
  const legend = document.getElementById('legend');
  data.runs.forEach((run, r) => {
    const s = document.createElement('span');
    s.innerHTML = '<i class="swatch" style="background:' + color(r) + '"></i>' + run.label;
    legend.appendChild(s);
  });
  const area = document.getElementById('charts');
  const logX = { type: 'logarithmic', title: { display: true, text: 'message size' },
                 ticks: { callback: v => (Math.log2(v) % 2 === 0 ? bytes(v) : '') } };
  function chart(canvas, datasets, yTitle, yLog, extra) {
    return new Chart(canvas, {
      type: 'line', data: { datasets },
      options: Object.assign({
        animation: false, responsive: true, maintainAspectRatio: false, parsing: false,
        interaction: { mode: 'nearest', intersect: false },
        plugins: { legend: { display: false },
                   tooltip: { callbacks: { title: items => bytes(items[0].parsed.x) } } },
        scales: { x: logX, y: { type: yLog ? 'logarithmic' : 'linear',
                                title: { display: true, text: yTitle } } } }, extra || {})
    });
  }
  function band(points, r, lowKey, highKey) {  // two datasets: low line, high line filled to it
    return [
      { data: points.map(p => ({ x: p.size, y: p[lowKey] })), borderWidth: 0, pointRadius: 0,
        fill: false, borderColor: 'transparent' },
      { data: points.map(p => ({ x: p.size, y: p[highKey] })), borderWidth: 0, pointRadius: 0,
        fill: '-1', backgroundColor: color(r) + '33', borderColor: 'transparent' }];
  }
  function line(points, r, key, label) {
    return { label, data: points.map(p => ({ x: p.size, y: p[key] })), borderColor: color(r),
             backgroundColor: color(r), borderWidth: 2, pointRadius: 2.5, fill: false };
  }
  for (const [, g] of groups) {
    const card = document.createElement('div');
    card.className = 'card';
    const title = g.c.collective + ' <span class="meta">' + g.c.dtype +
                  (g.c.redop !== 'none' ? ' · ' + g.c.redop : '') + ' · ' +
                  (g.c.placement === 'in' ? 'in-place' : 'out-of-place') + '</span>';
    card.innerHTML = '<div class="chart-title">' + title + '</div><div class="grid">' +
      '<div><div class="muted">bus bandwidth (GB/s)</div><div class="chart-box"><canvas></canvas></div></div>' +
      '<div><div class="muted">time per operation (µs), 95% CI of the median shaded</div>' +
      '<div class="chart-box"><canvas></canvas></div></div>' +
      (data.runs.length > 1 ? '<div><div class="muted">time ratio to ' + data.runs[0].label +
       ' (above 1 = slower)</div><div class="chart-box"><canvas></canvas></div></div>' : '') +
      '</div>';
    area.appendChild(card);
    const canvases = card.querySelectorAll('canvas');
    const sets = g.perRun.map(list => list.map(c => ({
      size: c.size_bytes, t: c.median_us, lo: c.ci_low_us, hi: c.ci_high_us, bw: c.busbw_gbps,
      bwLo: c.median_us > 0 ? c.busbw_gbps * c.median_us / c.ci_high_us : 0,
      bwHi: c.ci_low_us > 0 ? c.busbw_gbps * c.median_us / c.ci_low_us : 0 }))
      .sort((a, b) => a.size - b.size));
    const bwSets = [], tSets = [];
    sets.forEach((pts, r) => {
      if (!pts.length) return;
      bwSets.push(...band(pts, r, 'bwLo', 'bwHi'), line(pts, r, 'bw', data.runs[r].label));
      tSets.push(...band(pts, r, 'lo', 'hi'), line(pts, r, 't', data.runs[r].label));
    });
    chart(canvases[0], bwSets, 'GB/s', false);
    chart(canvases[1], tSets, 'µs', true);
    if (data.runs.length > 1) {
      const base = new Map(sets[0].map(p => [p.size, p.t]));
      const ratioSets = [{ data: sets[0].map(p => ({ x: p.size, y: 1 })), borderColor: '#9aa3b2',
                           borderDash: [4, 4], borderWidth: 1, pointRadius: 0 }];
      sets.forEach((pts, r) => {
        if (r === 0 || !pts.length) return;
        const ratio = pts.filter(p => base.get(p.size) > 0)
                         .map(p => ({ size: p.size, ratio: p.t / base.get(p.size) }));
        ratioSets.push(line(ratio, r, 'ratio', data.runs[r].label));
      });
      chart(canvases[2], ratioSets, 'ratio', false);
    }
  }
  // Say how many charts really drew something (tests read this; readers can ignore it).
  const all = document.querySelectorAll('canvas');
  let drawn = 0;
  all.forEach(cv => {
    const px = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data;
    for (let i = 3; i < px.length; i += 4) { if (px[i] !== 0) { drawn++; break; } }
  });
  document.body.dataset.chartsTotal = all.length;
  document.body.dataset.chartsDrawn = drawn;
  const copy = document.getElementById('copy-md');
  if (copy) copy.addEventListener('click', () => {
    navigator.clipboard.writeText(document.getElementById('md').textContent);
    copy.textContent = 'copied';
  });
})();
)js";

}  // namespace cclbench::html
