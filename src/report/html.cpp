// The train stage's HTML report. The page is built in C++ except the line charts, which
// a small script draws with the embedded Chart.js from the report JSON carried in the page.
// Tables and heat maps are plain HTML, so they read without JavaScript and print well.
#include "tinyml/report/html.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <limits>
#include <vector>

#include <fmt/format.h>

#include "tinyml/version.hpp"

namespace tinyml::report {
using nlohmann::json;

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the valid UTF-8 sequence starting at s[i], or 0 if it is not valid (overlong
// forms, surrogates and code points past U+10FFFF are invalid).
std::size_t utf8_length(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  if (c < 0x80) return 1;
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size() || b(1) < lo || b(1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if (b(k) < 0x80 || b(k) > 0xBF) return 0;
  return n;
}

// ---- reading the report leniently: a missing or mistyped key leaves its part out --------

const json* member(const json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() || it->is_null() ? nullptr : &*it;
}

double number(const json& j, const char* key) {
  const json* v = member(j, key);
  return v && v->is_number() ? v->get<double>() : std::numeric_limits<double>::quiet_NaN();
}

std::string text(const json& j, const char* key) {
  const json* v = member(j, key);
  return v && v->is_string() ? v->get<std::string>() : std::string();
}

// A count (non-negative integer), or -1.
std::int64_t count(const json& v) {
  if (v.is_number_unsigned()) return static_cast<std::int64_t>(std::min<std::uint64_t>(v.get<std::uint64_t>(), INT64_MAX));
  if (v.is_number_integer()) return std::max<std::int64_t>(v.get<std::int64_t>(), -1);
  if (v.is_number_float()) {
    double d = v.get<double>();
    return d >= 0 && d < 9e18 && d == std::floor(d) ? static_cast<std::int64_t>(d) : -1;
  }
  return -1;
}

std::int64_t count(const json& j, const char* key) {
  const json* v = member(j, key);
  return v ? count(*v) : -1;
}

// ---- formatting -----------------------------------------------------------------------

std::string grouped(std::int64_t n) {  // 1234567 -> "1,234,567"
  if (n < 0) return "&mdash;";
  std::string digits = std::to_string(n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string fixed(double v, int decimals) {
  return std::isfinite(v) ? fmt::format("{:.{}f}", v, decimals) : "&mdash;";
}

std::string percent(double fraction) {
  return std::isfinite(fraction) ? fmt::format("{:.2f}&nbsp;%", 100 * fraction) : "&mdash;";
}

// The heat maps' colour scale (sequential blues, light to dark), t in [0, 1].
constexpr std::array<std::array<int, 3>, 5> kScale{{
    {247, 251, 255}, {198, 219, 239}, {107, 174, 214}, {33, 113, 181}, {8, 48, 107}}};

std::string scale_colour(double t) {
  t = std::clamp(t, 0.0, 1.0) * static_cast<double>(kScale.size() - 1);
  auto k = std::min(static_cast<std::size_t>(t), kScale.size() - 2);
  double f = t - static_cast<double>(k);
  std::array<int, 3> c{};
  for (std::size_t i = 0; i < 3; ++i)
    c[i] = static_cast<int>(std::lround((1 - f) * kScale[k][i] + f * kScale[k + 1][i]));
  return fmt::format("#{:02x}{:02x}{:02x}", c[0], c[1], c[2]);
}

std::string scale_gradient() {
  std::string g = "linear-gradient(to right";
  for (std::size_t k = 0; k < kScale.size(); ++k) g += ", " + scale_colour(static_cast<double>(k) / (kScale.size() - 1));
  return g + ")";
}

template <typename... Args>
void add(std::string& out, fmt::format_string<Args...> f, Args&&... args) {
  fmt::format_to(std::back_inserter(out), f, std::forward<Args>(args)...);
}

// ---- the parts of the page --------------------------------------------------------------

constexpr std::string_view kStyle = R"css(
:root { --ink: #1f2933; --muted: #5f6b7a; --line: #d9dee5; --panel: #f6f8fa; --accent: #1d4ed8; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header, main, footer { max-width: 1160px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 24px; }
h1 { font-size: 26px; margin: 0 0 2px; overflow-wrap: anywhere; }
h2 { font-size: 20px; margin: 36px 0 12px; padding-bottom: 6px; border-bottom: 2px solid var(--line); }
h3 { font-size: 16px; margin: 20px 0 8px; }
h4 { font-size: 14.5px; margin: 14px 0 6px; }
table.data tr.chosen td { font-weight: 650; background: #eef4ff; }
figure.roc { max-width: 560px; margin-top: 16px; }
.sub { color: var(--muted); margin: 0 0 16px; overflow-wrap: anywhere; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(160px, 1fr)); gap: 12px; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
.card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card .value { font-size: 22px; font-weight: 650; font-variant-numeric: tabular-nums; }
.card .detail { color: var(--muted); font-size: 13px; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 20px; }
figure { margin: 0; border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px 8px; }
figcaption { font-weight: 600; margin-bottom: 6px; }
.chart-box { position: relative; height: 300px; }
.note { color: var(--muted); font-size: 13.5px; margin: 8px 0; }
.warn { background: #fff7e6; border-left: 4px solid #f0a020; padding: 6px 10px; margin: 10px 0; font-size: 14px; }
.eval { display: flex; flex-wrap: wrap; gap: 28px; align-items: flex-start; }
.eval > div { min-width: 0; max-width: 100%; flex: 0 1 auto; }
.eval > div.metrics { flex: 1 1 380px; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 5px 10px; }
table.data th { text-align: left; border-bottom: 2px solid var(--line); font-size: 13px; color: var(--muted); }
table.data td { border-bottom: 1px solid var(--line); }
table.data td.num, table.data th.num { text-align: right; }
table.data tfoot td { border-top: 2px solid var(--line); border-bottom: none; font-weight: 600; }
table.model { width: 100%; }
table.model td.layer { width: 14em; white-space: nowrap; }
table.model td.settings code { margin-right: 4px; }
td.name, th.name { max-width: 16em; overflow-wrap: anywhere; }
td.undefined { color: var(--muted); font-style: italic; }
table.cm td.cell { width: 76px; min-width: 64px; height: 56px; text-align: center; border: 1px solid #fff; }
table.cm td.cell .n { display: block; font-size: 16px; font-weight: 650; }
table.cm td.cell .p { display: block; font-size: 11.5px; opacity: .85; }
table.cm td.diag { box-shadow: inset 0 0 0 2px #f59e0b; }
table.cm td.empty { background: #eceff3; color: #8a94a3; }
table.cm.compact td.cell { width: 24px; min-width: 0; height: 26px; padding: 1px 2px; }
table.cm.compact td.cell .n { font-size: 11px; font-weight: 600; }
table.cm.compact td.cell .p { display: none; }
table.cm th { font-size: 13px; font-weight: 600; }
table.cm th.col { vertical-align: bottom; text-align: center; max-width: 110px; overflow-wrap: anywhere; }
table.cm th.col.rot { writing-mode: vertical-rl; transform: rotate(180deg); text-align: left;
  max-width: none; max-height: 12em; white-space: nowrap; overflow: hidden; text-overflow: ellipsis;
  padding: 6px 2px; }
table.cm th.row { text-align: right; max-width: 12em; overflow-wrap: break-word; }
table.cm th.axis { color: var(--muted); font-weight: 500; font-size: 12.5px; letter-spacing: .03em; }
table.cm th.axis.y { writing-mode: vertical-rl; transform: rotate(180deg); }
.legend { display: flex; align-items: center; gap: 8px; font-size: 12.5px; color: var(--muted); margin-top: 10px; }
.legend .ramp { width: 160px; height: 12px; border: 1px solid var(--line); border-radius: 2px; }
.legend .diagkey { width: 14px; height: 14px; box-shadow: inset 0 0 0 2px #f59e0b; margin-left: 14px; }
code { font: 13px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--panel);
  padding: 1px 4px; border-radius: 3px; overflow-wrap: anywhere; }
footer { color: var(--muted); font-size: 13px; margin-top: 40px; padding-bottom: 28px; }
footer p { border-top: 1px solid var(--line); padding-top: 12px; margin: 0; }
@media print { h2 { break-after: avoid; } figure, .eval > div, table { break-inside: avoid; } }
)css";

// Draws the two line charts from the report JSON in #tinyml-report.
constexpr std::string_view kScript = R"js(
(function () {
  'use strict';
  var el = document.getElementById('tinyml-report');
  if (!el || typeof Chart === 'undefined') return;
  var report = JSON.parse(el.textContent);
  var history = Array.isArray(report.history) ? report.history : [];
  if (!history.length) return;
  var hasVal = report.validation != null;
  var best = report.best_epoch;
  function num(v) { return typeof v === 'number' && isFinite(v) ? v : null; }
  function series(key, scale) {
    return history.map(function (h) {
      var y = num(h[key]);
      return { x: h.epoch, y: y === null ? null : y * scale };
    });
  }
  var blue = '#1d4ed8', orange = '#ea580c';
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.font.size = 13;
  Chart.defaults.color = '#3e4c59';
  var bestEpochLine = {
    id: 'bestEpoch',
    afterDatasetsDraw: function (chart) {
      if (typeof best !== 'number') return;
      var x = chart.scales.x.getPixelForValue(best), a = chart.chartArea, c = chart.ctx;
      if (!(x >= a.left && x <= a.right)) return;
      c.save();
      c.strokeStyle = '#6b7280';
      c.lineWidth = 1;
      c.setLineDash([5, 4]);
      c.beginPath(); c.moveTo(x, a.top); c.lineTo(x, a.bottom); c.stroke();
      c.setLineDash([]);
      c.fillStyle = '#374151';
      c.font = '12px ' + Chart.defaults.font.family;
      var right = x > (a.left + a.right) / 2;
      c.textAlign = right ? 'right' : 'left';
      c.textBaseline = 'bottom';
      c.fillText('best epoch ' + best, x + (right ? -4 : 4), a.top - 3);
      c.restore();
    }
  };
  var dense = history.length > 60;
  function dataset(label, data, colour, dashed) {
    return { label: label, data: data, borderColor: colour, backgroundColor: colour,
             borderWidth: 2, borderDash: dashed ? [6, 3] : [], pointRadius: dense ? 0 : 2.5,
             pointHoverRadius: 4, tension: 0.15, spanGaps: false };
  }
  function lineChart(id, yTitle, key, scale, yOptions, digits) {
    var canvas = document.getElementById(id);
    if (!canvas) return;
    var sets = [dataset('train', series(key, scale), blue, false)];
    if (hasVal) sets.push(dataset('validation', series('val_' + key, scale), orange, true));
    var y = Object.assign({ title: { display: true, text: yTitle }, grid: { color: '#e5e7eb' } }, yOptions);
    new Chart(canvas, {
      type: 'line',
      data: { datasets: sets },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false, layout: { padding: { top: 18 } },
        interaction: { mode: 'index', intersect: false },
        scales: {
          x: { type: 'linear', title: { display: true, text: 'epoch' }, grid: { color: '#eef0f3' },
               ticks: { precision: 0 } },
          y: y
        },
        plugins: {
          legend: { position: 'bottom', labels: { usePointStyle: true, boxHeight: 6 } },
          tooltip: { callbacks: {
            title: function (items) { return 'epoch ' + items[0].raw.x; },
            label: function (item) {
              return ' ' + item.dataset.label + ': ' + (item.raw.y === null ? 'n/a' : item.raw.y.toFixed(digits));
            },
            footer: function (items) {
              var h = history[items[0].dataIndex], lr = num(h.lr), s = num(h.seconds);
              return (lr === null ? '' : 'lr ' + lr.toExponential(2)) + (s === null ? '' : '   ' + s.toFixed(2) + ' s');
            }
          } }
        }
      },
      plugins: [bestEpochLine]
    });
  }
  lineChart('chart-loss', 'loss', 'loss', 1, { beginAtZero: true }, 4);
  lineChart('chart-accuracy', 'accuracy (%)', 'accuracy', 100, { suggestedMin: 50, max: 100 }, 2);
})();
(function () {
  'use strict';
  var el = document.getElementById('tinyml-report'), canvas = document.getElementById('chart-roc');
  if (!el || !canvas || typeof Chart === 'undefined') return;
  var a = JSON.parse(el.textContent).anomaly || {};
  var sets = [], colours = { validation: '#ea580c', test: '#1d4ed8' };
  ['validation', 'test'].forEach(function (name) {
    var roc = a[name] && Array.isArray(a[name].roc) ? a[name].roc : [];
    if (!roc.length) return;
    var auc = typeof a[name].roc_auc === 'number' ? ' (AUC ' + a[name].roc_auc.toFixed(3) + ')' : '';
    sets.push({ label: name + auc, data: roc.map(function (p) { return { x: p[0], y: p[1] }; }),
                borderColor: colours[name], backgroundColor: colours[name], borderWidth: 2, pointRadius: 0,
                showLine: true });
    if (typeof a[name].false_positive_rate === 'number' && typeof a[name].recall === 'number')
      sets.push({ label: name + ' at the threshold', data: [{ x: a[name].false_positive_rate, y: a[name].recall }],
                  borderColor: colours[name], backgroundColor: '#ffffff', borderWidth: 2, pointRadius: 6,
                  pointStyle: 'rectRot' });
  });
  if (!sets.length) return;
  sets.push({ label: 'chance', data: [{ x: 0, y: 0 }, { x: 1, y: 1 }], borderColor: '#9ca3af', borderDash: [5, 4],
              borderWidth: 1, pointRadius: 0, showLine: true });
  new Chart(canvas, {
    type: 'scatter',
    data: { datasets: sets },
    options: {
      animation: false, responsive: true, maintainAspectRatio: false,
      scales: {
        x: { min: 0, max: 1, title: { display: true, text: 'false-positive rate' }, grid: { color: '#eef0f3' } },
        y: { min: 0, max: 1, title: { display: true, text: 'true-positive rate (recall)' }, grid: { color: '#e5e7eb' } }
      },
      plugins: { legend: { position: 'bottom', labels: { usePointStyle: true, boxHeight: 6 } } }
    }
  });
})();
)js";

struct ClassRow {
  std::string name;
  double precision, recall, f1;
  std::int64_t support, predicted;
};

std::vector<ClassRow> class_rows(const json& part) {
  std::vector<ClassRow> rows;
  const json* classes = member(part, "classes");
  if (!classes || !classes->is_array()) return rows;
  for (const json& c : *classes)
    rows.push_back({text(c, "name"), number(c, "precision"), number(c, "recall"), number(c, "f1"),
                    count(c, "support"), count(c, "predicted")});
  return rows;
}

std::string class_label(const std::vector<ClassRow>& rows, std::size_t k) {
  return k < rows.size() && !rows[k].name.empty() ? html_escape(rows[k].name) : fmt::format("class {}", k);
}

// The confusion matrix as a table whose cells are coloured by their share of the row (the
// true class), so that small classes show as clearly as large ones.
void confusion_matrix(std::string& out, const json& part, const std::vector<ClassRow>& rows) {
  const json* cm = member(part, "confusion");
  std::vector<std::vector<std::int64_t>> m;
  bool ok = cm && cm->is_array() && !cm->empty();
  if (ok) {
    for (const json& r : *cm) {
      if (!r.is_array() || r.size() != cm->size()) {
        ok = false;
        break;
      }
      auto& row = m.emplace_back();
      for (const json& v : r) row.push_back(count(v));
      ok = ok && std::none_of(row.begin(), row.end(), [](std::int64_t v) { return v < 0; });
    }
  }
  if (!ok) {
    out += "<p class=\"note\">No confusion matrix in the report.</p>\n";
    return;
  }
  const std::size_t K = m.size();
  bool rotate = K > 6;
  for (std::size_t k = 0; k < K && !rotate; ++k) rotate = k < rows.size() && rows[k].name.size() > 12;

  // Many classes: small cells with the count only (the share is in the cell's tooltip).
  add(out, "<div class=\"scroll\"><table class=\"cm{}\">\n", K > 12 ? " compact" : "");
  add(out, "<tr><th></th><th></th><th class=\"axis\" colspan=\"{}\">predicted class &rarr;</th></tr>\n", K);
  out += "<tr><th></th><th></th>";
  for (std::size_t k = 0; k < K; ++k) {
    std::string name = class_label(rows, k);
    add(out, "<th class=\"col{}\" title=\"{}\">{}</th>", rotate ? " rot" : "", name, name);
  }
  out += "</tr>\n";
  for (std::size_t t = 0; t < K; ++t) {
    std::int64_t total = 0;
    for (std::int64_t v : m[t]) total += v;
    out += "<tr>";
    if (t == 0) add(out, "<th class=\"axis y\" rowspan=\"{}\">&larr; true class</th>", K);
    std::string name = class_label(rows, t);
    add(out, "<th class=\"row\" title=\"{}\">{}</th>", name, name);
    for (std::size_t p = 0; p < K; ++p) {
      std::string cls = p == t ? "cell diag" : "cell";
      std::string tip = fmt::format("true {}, predicted {}: {}", name, class_label(rows, p), m[t][p]);
      if (total == 0) {
        add(out, "<td class=\"{} empty\" title=\"{} (no sample of this class)\"><span class=\"n\">{}</span>"
                 "<span class=\"p\">&mdash;</span></td>",
            cls, tip, grouped(m[t][p]));
        continue;
      }
      double share = static_cast<double>(m[t][p]) / static_cast<double>(total);
      add(out, "<td class=\"{}\" style=\"background:{};color:{}\" title=\"{} ({:.1f} % of the row)\">"
               "<span class=\"n\">{}</span><span class=\"p\">{:.1f}&nbsp;%</span></td>",
          cls, scale_colour(share), share > 0.45 ? "#ffffff" : "#1f2933", tip, 100 * share, grouped(m[t][p]),
          100 * share);
    }
    out += "</tr>\n";
  }
  out += "</table></div>\n";
  add(out,
      "<div class=\"legend\"><span>0 %</span><span class=\"ramp\" style=\"background:{}\"></span>"
      "<span>100 % of the true class</span><span class=\"diagkey\"></span><span>correct (diagonal)</span></div>\n",
      scale_gradient());
}

void metrics_table(std::string& out, const json& part, const std::vector<ClassRow>& rows) {
  if (rows.empty()) {
    out += "<p class=\"note\">No per-class metrics in the report.</p>\n";
    return;
  }
  out += "<div class=\"scroll\"><table class=\"data\">\n<thead><tr><th class=\"name\">class</th>"
         "<th class=\"num\">precision</th><th class=\"num\">recall</th><th class=\"num\">F1</th>"
         "<th class=\"num\">support</th><th class=\"num\">predicted</th></tr></thead>\n<tbody>\n";
  double sum_p = 0, sum_r = 0;
  std::int64_t support = 0;
  for (const ClassRow& r : rows) {
    sum_p += std::isfinite(r.precision) ? r.precision : 0;
    sum_r += std::isfinite(r.recall) ? r.recall : 0;
    support += std::max<std::int64_t>(r.support, 0);
    const char* no_sample = " class=\"num undefined\" title=\"undefined: no sample of this class (counted as 0)\"";
    const char* never = " class=\"num undefined\" title=\"undefined: never predicted (counted as 0)\"";
    bool no_support = r.support == 0, not_predicted = r.predicted == 0;
    add(out, "<tr><td class=\"name\">{}</td>", html_escape(r.name));
    add(out, "<td{}>{}</td>", not_predicted ? never : " class=\"num\"", fixed(r.precision, 3));
    add(out, "<td{}>{}</td>", no_support ? no_sample : " class=\"num\"", fixed(r.recall, 3));
    add(out, "<td{}>{}</td>", no_support || not_predicted ? " class=\"num undefined\"" : " class=\"num\"",
        fixed(r.f1, 3));
    add(out, "<td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n", grouped(r.support), grouped(r.predicted));
  }
  const double K = static_cast<double>(rows.size());
  add(out,
      "</tbody>\n<tfoot><tr><td>macro average</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
      "<td class=\"num\">{}</td><td class=\"num\">{}</td><td></td></tr>\n"
      "<tr><td>accuracy</td><td></td><td></td><td class=\"num\">{}</td><td class=\"num\">{}</td><td></td></tr>"
      "</tfoot>\n</table></div>\n",
      fixed(sum_p / K, 3), fixed(sum_r / K, 3), fixed(number(part, "macro_f1"), 3), grouped(support),
      fixed(number(part, "accuracy"), 3), grouped(count(part, "samples")));
  out += "<p class=\"note\">Macro averages weigh every class equally and count undefined values "
         "(shown in italics) as 0.</p>\n";
}

void card(std::string& out, std::string_view label, const std::string& value, const std::string& detail) {
  add(out, "<div class=\"card\"><div class=\"label\">{}</div><div class=\"value\">{}</div>"
           "<div class=\"detail\">{}</div></div>\n",
      label, value, detail);
}

// One set's evaluation: summary, warnings, confusion matrix and per-class table. `set` is
// "validation" or "test"; `id` the section's id; with `sub`, the section sits inside a
// model's section (an h3 heading, h4 inside).
void evaluation_section(std::string& out, const json* part, std::string_view id, std::string_view set,
                        std::string_view title, bool sub = false) {
  if (!part || !part->is_object()) return;
  const std::vector<ClassRow> rows = class_rows(*part);
  const char* h = sub ? "h3" : "h2";
  const char* inner = sub ? "h4" : "h3";
  add(out, "<section id=\"{}\">\n<{}>{}</{}>\n", id, h, title, h);
  add(out, "<p>Accuracy <b>{}</b> on {} samples; macro F1 <b>{}</b>.</p>\n", percent(number(*part, "accuracy")),
      grouped(count(*part, "samples")), fixed(number(*part, "macro_f1"), 3));
  for (const ClassRow& r : rows)
    if (r.support == 0)
      add(out,
          "<p class=\"warn\">The {} set holds no <b>{}</b> sample: its recall is undefined; {} of {} samples "
          "were predicted as it (false alarms).</p>\n",
          set, html_escape(r.name), grouped(r.predicted), grouped(count(*part, "samples")));
  add(out, "<div class=\"eval\">\n<div>\n<{}>Confusion matrix</{}>\n", inner, inner);
  confusion_matrix(out, *part, rows);
  add(out, "</div>\n<div class=\"metrics\">\n<{}>Per class</{}>\n", inner, inner);
  metrics_table(out, *part, rows);
  out += "</div>\n</div>\n</section>\n";
}

// ---- the classic models and the anomaly detector ----------------------------------------

struct ClassicModel {
  const char* key;
  const char* title;
};
constexpr ClassicModel kClassicModels[] = {
    {"knn", "k-nearest neighbours"}, {"tree", "Decision tree"}, {"forest", "Random forest"}};

// A model's settings and size, from its report entry.
std::string classic_summary(const json& m, std::string_view key) {
  const auto depth = [&](const char* k) {
    const std::int64_t d = count(m, k);
    return d == 0 ? std::string("none") : grouped(d);
  };
  if (key == "knn")
    return fmt::format("k {}, {} distance, {} votes; {} stored prototypes, {} bytes as float32", grouped(count(m, "k")),
                       html_escape(text(m, "metric")), html_escape(text(m, "weights")), grouped(count(m, "stored")),
                       grouped(count(m, "bytes")));
  if (key == "tree")
    return fmt::format("{} criterion, max depth {}; {} nodes, {} leaves, depth {}", html_escape(text(m, "criterion")),
                       depth("max_depth"), grouped(count(m, "nodes")), grouped(count(m, "leaves")),
                       grouped(count(m, "depth")));
  return fmt::format("{} trees, {} criterion, {} features tried per split, max depth {}; {} nodes in all",
                     grouped(count(m, "trees")), html_escape(text(m, "criterion")),
                     grouped(count(m, "features_per_split")), depth("max_depth"), grouped(count(m, "nodes")));
}

void prototype_table(std::string& out, const json& knn) {
  const json* p = member(knn, "prototypes");
  const json* table = p ? member(*p, "table") : nullptr;
  if (!table || !table->is_array()) return;
  out += "<h3>Prototypes: accuracy against size</h3>\n<div class=\"scroll\"><table class=\"data\">\n<thead><tr>"
         "<th>reduction</th><th class=\"num\">per class</th><th class=\"num\">prototypes</th>"
         "<th class=\"num\">bytes</th><th class=\"num\">validation accuracy</th><th></th></tr></thead>\n<tbody>\n";
  for (const json& r : *table) {
    const std::string method = text(r, "method");
    const json* chosen_v = member(r, "chosen");
    const bool chosen = chosen_v && chosen_v->is_boolean() && chosen_v->get<bool>();
    add(out, "<tr{}><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
             "<td class=\"num\">{}</td><td>{}</td></tr>\n",
        chosen ? " class=\"chosen\"" : "", html_escape(method),
        method == "kmeans" ? grouped(count(r, "per_class")) : std::string("&mdash;"), grouped(count(r, "prototypes")),
        grouped(count(r, "bytes")), percent(number(r, "accuracy")), chosen ? "kept" : "");
  }
  out += "</tbody>\n</table></div>\n";
  const std::int64_t budget = count(*p, "flash_bytes");
  add(out, "<p class=\"note\">Each row is the KNN on a reduction of the training windows: all of them, Hart's "
           "condensed set, or k-means centroids per class; bytes count float32 values and a one-byte label per "
           "prototype. {}</p>\n",
      budget > 0 ? fmt::format("The kept row is the most accurate within the flash budget of {} bytes (the smaller on "
                               "ties).",
                               grouped(budget))
                 : std::string("The kept row is the most accurate of the reduction the project file asks for."));
}

void classic_section(std::string& out, const json& report) {
  std::vector<std::pair<const ClassicModel*, const json*>> present;
  for (const ClassicModel& c : kClassicModels)
    if (const json* m = member(report, c.key); m && m->is_object()) present.emplace_back(&c, m);
  if (present.empty()) return;
  out += "<section id=\"classic\">\n<h2>Classic models</h2>\n<div class=\"scroll\"><table class=\"data\">\n"
         "<thead><tr><th>model</th><th class=\"num\">validation accuracy</th><th class=\"num\">validation macro F1</th>"
         "<th class=\"num\">test accuracy</th><th class=\"num\">test macro F1</th><th>settings</th></tr></thead>\n"
         "<tbody>\n";
  const json none = json::object();
  for (const auto& [c, m] : present) {
    const json* v = member(*m, "validation");
    const json* t = member(*m, "test");
    add(out, "<tr><td><a href=\"#{}\">{}</a></td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
             "<td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>\n",
        c->key, c->title, percent(number(v ? *v : none, "accuracy")), fixed(number(v ? *v : none, "macro_f1"), 3),
        percent(number(t ? *t : none, "accuracy")), fixed(number(t ? *t : none, "macro_f1"), 3),
        classic_summary(*m, c->key));
  }
  out += "</tbody>\n</table></div>\n<p class=\"note\">Trained on the data stage's normalized windows, flattened, "
         "and saved in build/train/ as knn.tmc, tree.tmc and forest.tmc, which <code>tinyml eval</code> "
         "reads.</p>\n</section>\n";
  for (const auto& [c, m] : present) {
    add(out, "<section id=\"{}\">\n<h2>{}</h2>\n<p>{}.</p>\n", c->key, c->title, classic_summary(*m, c->key));
    if (std::string_view(c->key) == "knn") prototype_table(out, *m);
    evaluation_section(out, member(*m, "validation"), fmt::format("{}-validation", c->key), "validation",
                       "Validation set", true);
    evaluation_section(out, member(*m, "test"), fmt::format("{}-test", c->key), "test", "Test set", true);
    out += "</section>\n";
  }
}

// A rate with three decimals, or "undefined" (null in the report).
std::string rate(const json& part, const char* key, int decimals = 3) {
  const json* v = member(part, key);
  return v && v->is_number() ? fixed(v->get<double>(), decimals) : "<span class=\"undefined\">undefined</span>";
}

void anomaly_section(std::string& out, const json& report) {
  const json* a = member(report, "anomaly");
  if (!a || !a->is_object()) return;
  const std::string method = text(*a, "method"), normal = html_escape(text(*a, "normal_class"));
  out += "<section id=\"anomaly\">\n<h2>Anomaly detection</h2>\n";
  add(out, "<p>{}, fitted on the {} <b>{}</b> training samples only. A sample is flagged when its score is above "
           "the threshold <b>{}</b>, calibrated on the {} <b>{}</b> validation samples for a false-positive rate of at "
           "most {}. Every class but <b>{}</b> counts as an anomaly (the positive class). Saved as "
           "build/train/anomaly.tmc.</p>\n",
      method == "autoencoder" ? std::string("An autoencoder scoring by reconstruction error")
                              : fmt::format("K-means with {} clusters scoring by the distance to the nearest centroid",
                                            grouped(count(*a, "clusters"))),
      grouped(count(*a, "fit_samples")), normal, fixed(number(*a, "threshold"), 4),
      grouped(count(*a, "calibration_samples")), normal, fixed(number(*a, "target_fpr"), 3), normal);
  out += "<div class=\"scroll\"><table class=\"data\">\n<thead><tr><th>set</th><th class=\"num\">samples</th>"
         "<th class=\"num\">normal</th><th class=\"num\">anomalies</th><th class=\"num\">false-positive rate</th>"
         "<th class=\"num\">precision</th><th class=\"num\">recall</th><th class=\"num\">F1</th>"
         "<th class=\"num\">ROC AUC</th></tr></thead>\n<tbody>\n";
  bool curves = false;
  for (const char* set : {"validation", "test"}) {
    const json* p = member(*a, set);
    if (!p || !p->is_object()) continue;
    const json* roc = member(*p, "roc");
    curves = curves || (roc && roc->is_array() && !roc->empty());
    add(out, "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
             "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
             "<td class=\"num\">{}</td></tr>\n",
        set, grouped(count(*p, "samples")), grouped(count(*p, "normal")), grouped(count(*p, "anomalies")),
        rate(*p, "false_positive_rate"), rate(*p, "precision"), rate(*p, "recall"), rate(*p, "f1"),
        rate(*p, "roc_auc", 4));
  }
  out += "</tbody>\n</table></div>\n<p class=\"note\">Recall, F1 and ROC AUC are undefined for a set without "
         "anomalies, the false-positive rate for one without normal samples.</p>\n";
  if (curves)
    out += "<figure class=\"roc\"><figcaption>ROC curve: the share of anomalies flagged against the share of normal "
           "samples flagged as the threshold moves</figcaption><div class=\"chart-box\"><canvas id=\"chart-roc\" "
           "role=\"img\" aria-label=\"ROC curves of the anomaly scores\"></canvas></div></figure>\n";
  out += "</section>\n";
}

void classic_cards(std::string& out, const json& report) {
  for (const ClassicModel& c : kClassicModels)
    if (const json* m = member(report, c.key))
      if (const json* t = member(*m, "test"))
        card(out, fmt::format("{} test accuracy", c.key), percent(number(*t, "accuracy")),
             fmt::format("macro F1 {}", fixed(number(*t, "macro_f1"), 3)));
  if (const json* a = member(report, "anomaly"))
    if (const json* t = member(*a, "test"))
      card(out, "anomaly test ROC AUC", rate(*t, "roc_auc", 4),
           fmt::format("false-positive rate {}, recall {}", rate(*t, "false_positive_rate"), rate(*t, "recall")));
}

// A layer declaration's settings: every key but "type", as key=value.
std::string layer_settings(const json& layer) {
  std::string s;
  if (!layer.is_object()) return html_escape(layer.dump(-1, ' ', false, json::error_handler_t::replace));
  for (auto it = layer.begin(); it != layer.end(); ++it) {
    if (it.key() == "type") continue;
    std::string v = it->is_string() ? it->get<std::string>() : it->dump(-1, ' ', false, json::error_handler_t::replace);
    add(s, "{}<code>{}={}</code>", s.empty() ? "" : " ", html_escape(it.key()), html_escape(v));
  }
  return s.empty() ? "&mdash;" : s;
}

void model_section(std::string& out, const json& report) {
  const json* layers = member(report, "layers");
  const json* rows = member(report, "layer_summary");
  const std::int64_t params = count(report, "parameters"), macs = count(report, "macs");
  if (!layers && !rows && params < 0 && macs < 0) return;
  out += "<section id=\"model\">\n<h2>Model</h2>\n";
  const std::string totals =
      fmt::format("{} parameters ({} as float32), {} multiply-accumulates per inference", grouped(params),
                  params < 0 ? "&mdash;" : fmt::format("{:.1f}&nbsp;KiB", static_cast<double>(params) * 4 / 1024),
                  grouped(macs));
  if (rows && rows->is_array()) {
    // What each layer is, its output shape, parameters and MACs, as the trained model has them.
    out += "<div class=\"scroll\"><table class=\"data model\">\n<thead><tr><th class=\"num\">#</th><th>layer</th>"
           "<th>output</th><th class=\"num\">parameters</th><th class=\"num\">MACs</th></tr></thead>\n<tbody>\n";
    if (const json* in = member(report, "input_shape"); in && in->is_array())
      add(out, "<tr><td></td><td>input</td><td>{}</td><td></td><td></td></tr>\n", html_escape(in->dump()));
    std::size_t i = 0;
    for (const json& l : *rows) {
      if (!l.is_object()) continue;
      const json* shape = member(l, "output");
      add(out,
          "<tr><td class=\"num\">{}</td><td class=\"layer\">{}</td><td>{}</td><td class=\"num\">{}</td>"
          "<td class=\"num\">{}</td></tr>\n",
          ++i, html_escape(text(l, "description")), shape ? html_escape(shape->dump()) : "", grouped(count(l, "parameters")),
          grouped(count(l, "macs")));
    }
    add(out, "</tbody>\n<tfoot><tr><td></td><td colspan=\"4\">{} layers: {}</td></tr></tfoot>\n</table></div>\n",
        i, totals);
  } else if (layers && layers->is_array()) {
    out += "<div class=\"scroll\"><table class=\"data model\">\n<thead><tr><th class=\"num\">#</th><th>layer</th>"
           "<th>settings</th></tr></thead>\n<tbody>\n";
    std::size_t i = 0;
    for (const json& l : *layers) {
      std::string type = l.is_object() ? text(l, "type") : "";
      add(out, "<tr><td class=\"num\">{}</td><td class=\"layer\"><b>{}</b></td><td class=\"settings\">{}</td></tr>\n", ++i,
          type.empty() ? "?" : html_escape(type), layer_settings(l));
    }
    add(out, "</tbody>\n<tfoot><tr><td></td><td colspan=\"2\">{} layers: {}</td></tr></tfoot>\n</table></div>\n",
        layers->size(), totals);
  } else {
    add(out, "<p>{}.</p>\n", totals);
  }
  out += "</section>\n";
}


// `who` names the network ("network ") when classic models share the header.
void network_cards(std::string& out, const json& report, const json* test, const json* validation, std::int64_t best,
                   std::size_t epochs, const std::string& who) {
  if (test)
    card(out, who + "test accuracy", percent(number(*test, "accuracy")),
         fmt::format("{} samples, macro F1 {}", grouped(count(*test, "samples")), fixed(number(*test, "macro_f1"), 3)));
  else
    card(out, who + "test accuracy", "&mdash;", "no test set");
  if (validation)
    card(out, who + "validation accuracy", percent(number(*validation, "accuracy")),
         fmt::format("{} samples, macro F1 {}", grouped(count(*validation, "samples")),
                     fixed(number(*validation, "macro_f1"), 3)));
  card(out, "best epoch", grouped(best),
       epochs ? fmt::format("of {} epochs run; its weights are kept", epochs) : std::string("weights kept from it"));
  card(out, "parameters", grouped(count(report, "parameters")), "trainable weights and biases");
  card(out, "MACs", grouped(count(report, "macs")), "multiply-accumulates per inference");
}

}  // namespace

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + s.size() / 8);
  for (std::size_t i = 0; i < s.size();) {
    const char c = s[i];
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) {
      std::size_t n = utf8_length(s, i);
      if (n == 0) {
        out += kReplacement;
        ++i;
      } else {
        out.append(s, i, n);
        i += n;
      }
      continue;
    }
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        if ((u < 0x20 && c != '\t' && c != '\n' && c != '\r') || u == 0x7F)
          out += kReplacement;
        else
          out += c;
    }
    ++i;
  }
  return out;
}

std::string json_for_script(const json& value) {
  const std::string s = value.dump(-1, ' ', false, json::error_handler_t::replace);
  std::string out;
  out.reserve(s.size() + 64);
  // Outside strings JSON holds none of these characters, so replacing them everywhere is safe.
  for (std::size_t i = 0; i < s.size(); ++i) {
    switch (s[i]) {
      case '<': out += "\\u003c"; break;
      case '>': out += "\\u003e"; break;
      case '&': out += "\\u0026"; break;
      default:
        if (s.compare(i, 3, "\xE2\x80\xA8") == 0 || s.compare(i, 3, "\xE2\x80\xA9") == 0) {
          out += s[i + 2] == '\xA8' ? "\\u2028" : "\\u2029";
          i += 2;
        } else {
          out += s[i];
        }
    }
  }
  return out;
}

std::string training_report_html(const json& report, const std::string& project_name, const std::string& generated_at) {
  const std::string project = html_escape(project_name.empty() ? std::string("tinyml project") : project_name);
  const json* history = member(report, "history");
  const std::size_t epochs = history && history->is_array() ? history->size() : 0;
  const std::int64_t best = count(report, "best_epoch");
  const json* test = member(report, "test");
  const json* validation = member(report, "validation");

  std::string out;
  out.reserve(chartjs_source().size() + 64 * 1024);
  out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         // Nothing in the page may load anything: it must open offline and stay private.
         "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
         "script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">\n";
  add(out, "<meta name=\"generator\" content=\"tinyml {}\">\n<title>{} &middot; training report</title>\n", kVersion,
      project);
  add(out, "<style>{}</style>\n</head>\n<body>\n", kStyle);

  // Header.
  add(out, "<header>\n<h1>{}</h1>\n<p class=\"sub\">Training report &middot; tinyml {}{}{}</p>\n<div class=\"cards\">\n",
      project, kVersion, generated_at.empty() ? "" : " &middot; ", html_escape(generated_at));
  // The network's cards when there is a network (or nothing else), then one per classic model.
  const bool classic = member(report, "knn") || member(report, "tree") || member(report, "forest") ||
                       member(report, "anomaly");
  const bool network = history || member(report, "parameters") || test || validation || !classic;
  if (network) network_cards(out, report, test, validation, best, epochs, classic ? "network " : "");
  classic_cards(out, report);
  out += "</div>\n</header>\n<main>\n";

  // Training curves.
  if (epochs) {
    out += "<section id=\"curves\">\n<h2>Training curves</h2>\n<div class=\"charts\">\n"
           "<figure><figcaption>Loss per epoch</figcaption><div class=\"chart-box\">"
           "<canvas id=\"chart-loss\" role=\"img\" aria-label=\"Training and validation loss per epoch\"></canvas>"
           "</div></figure>\n"
           "<figure><figcaption>Accuracy per epoch</figcaption><div class=\"chart-box\">"
           "<canvas id=\"chart-accuracy\" role=\"img\" aria-label=\"Training and validation accuracy per epoch\">"
           "</canvas></div></figure>\n</div>\n"
           "<noscript><p class=\"warn\">The charts need JavaScript; the numbers are in report.json.</p></noscript>\n";
    add(out, "<p class=\"note\">Training loss and accuracy are averaged over each epoch's mini-batches (with "
             "augmentation and dropout, if any); validation is measured after the epoch.{}</p>\n</section>\n",
        best > 0 ? " The dashed line marks the best epoch, whose weights the model keeps." : "");
  }

  evaluation_section(out, validation, "validation", "validation", "Validation set");
  evaluation_section(out, test, "test", "test", "Test set");
  if (!validation && !test && !classic)
    out += "<p class=\"warn\">The report holds no validation or test evaluation.</p>\n";
  model_section(out, report);
  classic_section(out, report);
  anomaly_section(out, report);

  add(out, "</main>\n<footer><p>Generated by tinyml {} from <code>build/train/report.json</code>, which this page "
           "also carries. Charts drawn with Chart.js (MIT licence), embedded in the page: it opens offline.</p>"
           "</footer>\n",
      kVersion);

  // The data, the library, then the code that draws the charts.
  add(out, "<script type=\"application/json\" id=\"tinyml-report\">{}</script>\n", json_for_script(report));
  out += "<script>\n";
  out += chartjs_source();
  out += "\n</script>\n<script>";
  out += kScript;
  out += "</script>\n</body>\n</html>\n";
  return out;
}

}  // namespace tinyml::report
