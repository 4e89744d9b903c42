// The static parts of the HTML report: colours, style and the script that draws the charts from
// the embedded data. Kept apart from html_report.cpp so the C++ that fills it in stays readable.

#include "report/html_page.hpp"

namespace cclbench::html {

const std::vector<std::string>& palette() {
  // Distinct on white and for the common colour-vision deficiencies; no pure red or green, which
  // the verdicts use.
  static const std::vector<std::string> colours = {"#2563eb", "#ea7317", "#0d9488", "#9333ea",
                                                   "#ca8a04", "#475569", "#db2777", "#65a30d",
                                                   "#92400e", "#06b6d4"};
  return colours;
}

const std::string& runColour(std::size_t runIndex) {
  return palette()[runIndex % palette().size()];
}

std::string swatch(std::size_t runIndex) {
  const std::string& c = runColour(runIndex);
  const std::string fill = runIndex < palette().size() ? c
                                                       : "repeating-linear-gradient(90deg," + c +
                                                             " 0 4px,transparent 4px 6px)";
  return "<i class=swatch style='background:" + fill + "'></i>";
}

std::string escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        if (static_cast<unsigned char>(ch) >= 0x20 || ch == '\n' || ch == '\t') out += ch;
    }
  }
  return out;
}

const char* kStyle = R"css(
:root { --fg:#1d2330; --muted:#5b6577; --line:#dfe3ea; --card:#fff; --bg:#f4f6fa;
        --bad:#c62828; --good:#1e7d4f; }
* { box-sizing:border-box; }
body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
       color:var(--fg); background:var(--bg); }
header { background:#1d2330; color:#fff; padding:16px 28px; }
.head { display:flex; justify-content:space-between; align-items:flex-start; gap:24px;
        max-width:1500px; margin:0 auto; }
.head .right { text-align:right; }
header h1 { margin:0 0 2px; font-size:21px; font-weight:600; }
header .sub { color:#b9c2d3; font-size:13px; margin-top:3px; }
nav.legend { position:sticky; top:0; z-index:10; background:rgba(255,255,255,.97);
             border-bottom:1px solid var(--line); padding:7px 28px; display:flex; flex-wrap:wrap;
             gap:4px 20px; font-size:13px; box-shadow:0 1px 3px rgba(0,0,0,.05); }
nav.legend .key { margin-left:auto; }
main { padding:8px 28px 40px; max-width:1556px; margin:0 auto; }
h2 { font-size:16px; margin:26px 0 10px; display:flex; align-items:center; gap:12px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px;
        padding:14px 16px; margin-bottom:14px; }
.notice { background:#fff7e0; border:1px solid #efd98f; border-radius:8px; padding:8px 14px;
          margin:14px 0 0; }
.chip { display:inline-block; padding:1px 9px; border-radius:10px; font-size:12px;
        font-weight:600; margin-left:6px; }
.chip.slower { background:#fde4e1; color:#a3231a; }
.chip.faster { background:#dcf2e5; color:#17683f; }
.chip.same, .chip.zero { background:#e6eaf0; color:#465163; }
nav.toc { display:flex; flex-wrap:wrap; gap:6px; margin:-2px 0 12px; }
nav.toc a { background:#fff; border:1px solid var(--line); border-radius:6px; padding:2px 9px;
            color:var(--fg); text-decoration:none; font-size:12.5px; }
nav.toc a:hover { border-color:#9aa6b8; }
.chart-card { scroll-margin-top:48px; }
.chart-title { font-weight:600; font-size:15px; margin-bottom:8px; }
.chart-title .meta { color:var(--muted); font-weight:400; }
.grid { display:grid; grid-template-columns:repeat(auto-fit,minmax(340px,1fr)); gap:10px 22px; }
.chart-label { color:var(--muted); font-size:12.5px; margin-bottom:2px; white-space:nowrap;
               overflow:hidden; text-overflow:ellipsis; }
.chart-box { position:relative; height:240px; }
.scroll { overflow-x:auto; }
table { border-collapse:collapse; width:100%; font-size:13px; }
th, td { text-align:left; padding:5px 10px; border-bottom:1px solid var(--line);
         vertical-align:top; }
th { color:var(--muted); font-weight:600; background:#f8f9fb; }
tr > th:first-child { white-space:nowrap; }
.num { text-align:right; font-variant-numeric:tabular-nums; white-space:nowrap; }
table.runs td, table.overview td { min-width:240px; }
table.runs th:first-child { width:1%; }
td.diff { background:#fff7e0; }
tr.group td { background:#eef1f6; padding-top:8px; }
tr.slower td { background:#fff5f4; }
tr.faster td { background:#f3fbf6; }
table.only tr.same { display:none; }
table.matrix { width:auto; }
.maps { display:flex; flex-wrap:wrap; gap:2em; }
.maps h3 { margin:.5em 0; font-size:14px; }
table.flagged { width:auto; margin-top:1em; }
table.matrix td, table.matrix th { white-space:nowrap; }
table.matrix td.num { min-width:80px; }
table.tune th.default, table.tune td.default { background:#eef1f6; }
table.tune td.win { background:#dcf2e5; color:#17683f; font-weight:600; }
td.cell-slower { background:#fde4e1; color:#a3231a; font-weight:600; }
td.cell-faster { background:#dcf2e5; color:#17683f; font-weight:600; }
td.slower, span.slower { color:var(--bad); font-weight:600; }
td.faster, span.faster { color:var(--good); font-weight:600; }
.swatch { display:inline-block; width:11px; height:11px; border-radius:3px; margin-right:6px;
          vertical-align:-1px; }
.big { font-size:16px; font-weight:600; }
.small { font-size:12px; color:var(--muted); }
.muted { color:var(--muted); }
.mono { font:12px/1.45 ui-monospace,"DejaVu Sans Mono",Menlo,monospace; white-space:pre-wrap;
        overflow-wrap:anywhere; }
details summary { cursor:pointer; }
.arg { display:inline-block; max-width:100%; }
label.filter { font-size:13px; font-weight:400; color:var(--muted); }
pre.md { background:#111827; color:#e5e9f0; padding:12px 14px; border-radius:8px; overflow:auto;
         font-size:12px; }
button { font:inherit; font-size:12px; border:1px solid var(--line); background:#fff;
         border-radius:6px; padding:2px 10px; cursor:pointer; }
)css";

const char* kScript = R"js(
(function () {
  'use strict';
  const data = JSON.parse(document.getElementById('cclbench-data').textContent);
  const colours = data.colours, bands = data.bands, threshold = data.threshold;
  const colour = i => colours[i % colours.length];
  const dash = i => (i >= colours.length ? [6, 4] : []);
  const grid = { color: '#edf0f4' };
  const esc = t => String(t).replace(/[&<>"']/g, ch => '&#' + ch.charCodeAt(0) + ';');
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  function bytes(v) {
    let u = 0;
    while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
    return (Number.isInteger(v) ? v : Number(v.toFixed(1))) + ' ' + units[u];
  }
  const number = v => String(Number(v.toPrecision(3)));
  function micros(v) {
    if (v >= 1e6) return number(v / 1e6) + ' s';
    if (v >= 1e3) return number(v / 1e3) + ' ms';
    return number(v) + ' µs';
  }
  const fixedTicks = ticks => axis => { axis.ticks = ticks.map(value => ({ value })); };

  // Sizes: log axis, ticks at powers of two (1 KiB, 4 KiB... or 1 KiB, 32 KiB, 1 MiB...).
  function sizeAxis(lo, hi) {
    const margin = lo === hi ? 1 : 0.3;
    const a = Math.log2(lo) - margin, b = Math.log2(hi) + margin;
    const first = Math.ceil(a), last = Math.floor(b);
    const step = [1, 2, 5, 10].find(s => (last - first) / s < 7) || 20;
    let ticks = [];
    for (let e = first; e <= last; e++) if (e % step === 0) ticks.push(2 ** e);
    if (!ticks.length) ticks = [lo];
    return { type: 'logarithmic', min: 2 ** a, max: 2 ** b, afterBuildTicks: fixedTicks(ticks),
             ticks: { callback: bytes, maxRotation: 0, autoSkip: false }, grid };
  }
  // Times (and wide ratios): log axis, 1-2-5 ticks (1-3 or decades on wide ranges), bounds on
  // ticks.
  function logAxis(lo, hi, format) {
    const decades = Math.log10(hi / lo);
    const steps = decades > 4 ? [1] : decades > 2 ? [1, 3] : [1, 2, 5];
    const ladder = [];
    for (let d = Math.floor(Math.log10(lo)) - 1; d <= Math.ceil(Math.log10(hi)) + 1; d++) {
      for (const m of steps) ladder.push(Number((m * 10 ** d).toPrecision(1)));
    }
    const min = ladder.filter(v => v <= lo * 0.98).pop() || lo / 2;
    const max = ladder.find(v => v >= hi * 1.02) || hi * 2;
    return { type: 'logarithmic', min, max,
             afterBuildTicks: fixedTicks(ladder.filter(v => v >= min && v <= max)),
             ticks: { callback: format, autoSkip: false }, grid };
  }
  // Ratios: linear axis on round steps (0.01, 0.02, 0.025, 0.05...), as many decimals as needed;
  // a log axis where they span more than a factor of 4 (10x faster is as far from 1 as 10x slower).
  function ratioAxis(lo, hi) {
    if (lo > 0 && hi / lo > 4) return logAxis(lo, hi, number);
    const raw = (hi - lo) / 5, magnitude = 10 ** Math.floor(Math.log10(raw));
    const mantissa = [1, 2, 2.5, 5, 10].find(m => m * magnitude >= raw * 0.999);
    const step = mantissa * magnitude, margin = raw * 0.1;  // no point cut in half by the frame
    const decimals = Math.max(0, -Math.round(Math.log10(magnitude))) + (mantissa === 2.5 ? 1 : 0);
    return { type: 'linear', min: Math.max(0, Math.floor((lo - margin) / step) * step),
             max: Math.ceil((hi + margin) / step) * step,
             ticks: { stepSize: step, callback: v => v.toFixed(decimals) }, grid };
  }

  function chart(canvas, datasets, x, y, value) {
    const tooltip = {
      filter: item => !!item.dataset.label,  // bands and guides have none
      callbacks: { title: items => (items.length ? bytes(items[0].parsed.x) : ''),
                   label: item => item.dataset.label + ': ' + value(item.raw) } };
    return new Chart(canvas, {
      type: 'line', data: { datasets },
      options: { animation: false, responsive: true, maintainAspectRatio: false, parsing: false,
                 interaction: { mode: 'nearest', axis: 'x', intersect: false },
                 layout: { padding: { right: 6 } },
                 plugins: { legend: { display: false }, tooltip }, scales: { x, y } } });
  }
  // A run's 95% CI: the low line, then the high line filled down to it; a whisker at one size.
  function band(points, r, low, high) {
    if (!bands) return [];
    const hidden = { pointRadius: 0, pointHoverRadius: 0, borderWidth: 0, fill: false };
    if (points.length === 1) {
      const p = points[0];
      return [Object.assign({}, hidden, { data: [{ x: p.x, y: p[low] }, { x: p.x, y: p[high] }],
                                          borderWidth: 7, borderColor: colour(r) + '50' })];
    }
    return [Object.assign({ data: points.map(p => ({ x: p.x, y: p[low] })) }, hidden),
            Object.assign({ data: points.map(p => ({ x: p.x, y: p[high] })) }, hidden,
                          { fill: '-1', backgroundColor: colour(r) + '30' })];
  }
  function line(points, r, key, extra) {
    return Object.assign({ label: data.runs[r].label, borderColor: colour(r), borderDash: dash(r),
                           data: points.map(p => Object.assign({ y: p[key] }, p)),
                           backgroundColor: colour(r), borderWidth: 2, pointRadius: 2.5,
                           pointHoverRadius: 4, fill: false }, extra || {});
  }

  // Busbw and time against size, one line per run. Log axes: sizes and times of 0 (OSU's
  // 0-byte row) have no place on them.
  function sizeCharts(g, canvases) {
    const sets = g.perRun.map(list => list.filter(c => c.median_us > 0 && c.size_bytes > 0)
      .map(c => {
        const lo = c.ci_low_us > 0 ? c.ci_low_us : c.median_us;  // imported rows have no CI
        const hi = c.ci_high_us > 0 ? c.ci_high_us : c.median_us;
        return { x: c.size_bytes, t: c.median_us, lo, hi, bw: c.busbw_gbps,
                 bwLo: c.busbw_gbps * c.median_us / hi, bwHi: c.busbw_gbps * c.median_us / lo };
      }).sort((a, b) => a.x - b.x));
    const all = sets.flat();
    if (!all.length) all.push({ x: 1, t: 1, lo: 1, hi: 1 });  // nothing drawable: empty axes
    const x = () => sizeAxis(Math.min(...all.map(p => p.x)), Math.max(...all.map(p => p.x)));
    const bwSets = [], timeSets = [];
    sets.forEach((pts, r) => {
      if (!pts.length) return;
      bwSets.push(...band(pts, r, 'bwLo', 'bwHi'), line(pts, r, 'bw'));
      timeSets.push(...band(pts, r, 'lo', 'hi'), line(pts, r, 't'));
    });
    chart(canvases[0], bwSets, x(),
          { type: 'linear', beginAtZero: true, grace: '4%', ticks: { callback: number }, grid },
          p => number(p.bw) + ' GB/s (' + micros(p.t) + ')');
    const times = all.map(p => (bands ? [p.lo, p.hi] : [p.t])).flat();
    chart(canvases[1], timeSets, x(), logAxis(Math.min(...times), Math.max(...times), micros),
          p => micros(p.t) + ' (95% CI ' + micros(p.lo) + ' – ' + micros(p.hi) + ')');
    return x();
  }
  // Time ratio to the baseline from compare's analysis: CI band, the ±threshold band, and
  // markers for verdicts (▲ slower, ◆ faster).
  function ratioChart(g, canvas, x) {
    const guide = y => ({ data: [{ x: x.min, y }, { x: x.max, y }], pointRadius: 0,
                          borderWidth: 0, fill: false });
    const sets = [guide(1 - threshold),
                  Object.assign(guide(1 + threshold), { fill: '-1', backgroundColor: '#8a94a626' }),
                  Object.assign(guide(1), { borderColor: '#8a94a6', borderWidth: 1,
                                            borderDash: [4, 4] })];
    let lo = 1 - 2 * threshold, hi = 1 + 2 * threshold;
    g.ratios.forEach((list, r) => {
      const pts = list.filter(q => q.size_bytes > 0 && q.ratio > 0).map(q => ({
        x: q.size_bytes, ratio: q.ratio, ciLow: q.ci_low, ciHigh: q.ci_high, verdict: q.verdict }))
        .sort((a, b) => a.x - b.x);
      if (!pts.length) return;
      pts.forEach(p => {
        lo = Math.min(lo, bands ? p.ciLow : p.ratio);
        hi = Math.max(hi, bands ? p.ciHigh : p.ratio);
      });
      const mark = p => ({ slower: '#c62828', faster: '#1e7d4f' })[p.verdict] || colour(r);
      const shape = p => ({ slower: 'triangle', faster: 'rectRot' })[p.verdict] || 'circle';
      sets.push(...band(pts, r, 'ciLow', 'ciHigh'), line(pts, r, 'ratio', {
        pointStyle: pts.map(shape),
        pointRadius: pts.map(p => (p.verdict === 'same' ? 2.5 : 5)),
        pointBackgroundColor: pts.map(mark), pointBorderColor: pts.map(mark) }));
    });
    chart(canvas, sets, x, ratioAxis(lo, hi),
          p => p.ratio.toFixed(3) + ' (95% CI ' + p.ciLow.toFixed(3) + ' – ' +
               p.ciHigh.toFixed(3) + ', ' + (p.verdict === 'same' ? 'no change' : p.verdict) + ')');
  }

  // One card per collective, type, op and place; a link to each above them.
  const keyOf = c => [c.collective, c.dtype, c.redop, c.placement].join('|');
  const groups = new Map();
  data.runs.forEach((run, r) => run.cases.forEach(c => {
    const k = keyOf(c);
    if (!groups.has(k)) {
      groups.set(k, { c, perRun: data.runs.map(() => []), ratios: data.runs.map(() => []) });
    }
    groups.get(k).perRun[r].push(c);
  }));
  data.ratios.forEach(q => { const g = groups.get(keyOf(q)); if (g) g.ratios[q.run].push(q); });
  const area = document.getElementById('charts'), toc = document.getElementById('toc');
  if (!groups.size && area) area.innerHTML = '<div class="card muted">No measured cases to draw.</div>';
  const compared = data.runs.length > 1;
  const cell = label => '<div><div class="chart-label" title="' + esc(label) + '">' + esc(label) +
                        '</div><div class="chart-box"><canvas></canvas></div></div>';
  let index = 0;
  for (const g of groups.values()) {
    const id = 'chart-' + ++index;
    const what = g.c.dtype + (g.c.redop !== 'none' ? ' · ' + g.c.redop : '') + ' · ' +
                 (g.c.placement === 'in' ? 'in-place' : 'out-of-place');
    const link = toc.appendChild(document.createElement('a'));
    link.href = '#' + id;
    link.textContent = g.c.collective + ' ' + what;
    const card = area.appendChild(document.createElement('section'));
    card.className = 'card chart-card';
    card.id = id;
    card.innerHTML = '<div class="chart-title">' + esc(g.c.collective) + ' <span class="meta">' +
      esc(what) + '</span></div><div class="grid">' +
      cell('bus bandwidth (GB/s), higher is better') + cell('time per operation, lower is better') +
      (compared ? cell('time ratio to ' + data.runs[0].label + ', above 1 is slower (grey: ±' +
                       Math.round(threshold * 100) + '%)') : '') + '</div>';
    const canvases = card.querySelectorAll('canvas');
    const x = sizeCharts(g, canvases);
    if (compared) ratioChart(g, canvases[2], x);
  }

  // How many charts really drew something (tests read this; readers can ignore it).
  const canvases = document.querySelectorAll('canvas');
  let drawn = 0;
  canvases.forEach(cv => {
    const px = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data;
    for (let i = 3; i < px.length; i += 4) { if (px[i] !== 0) { drawn++; break; } }
  });
  document.body.dataset.chartsTotal = canvases.length;
  document.body.dataset.chartsDrawn = drawn;

  // Long verdict tables start with the changes only, when there are any.
  const only = document.getElementById('only-changes');
  const table = document.getElementById('regressions');
  if (only && table) {
    const apply = () => table.classList.toggle('only', only.checked);
    only.checked = table.querySelectorAll('tr.same').length > 60 &&
                   table.querySelectorAll('tr.slower, tr.faster, tr.changed').length > 0;
    apply();
    only.addEventListener('change', apply);
  }
  const copy = document.getElementById('copy-md');
  if (copy) copy.addEventListener('click', () => {
    const done = () => { copy.textContent = 'copied'; };
    const fallback = () => {  // file:// pages may lack the clipboard API
      getSelection().selectAllChildren(document.getElementById('md'));
      if (document.execCommand('copy')) done();
    };
    const text = document.getElementById('md').textContent;
    if (navigator.clipboard) navigator.clipboard.writeText(text).then(done, fallback);
    else fallback();
  });
})();
)js";

}  // namespace cclbench::html
