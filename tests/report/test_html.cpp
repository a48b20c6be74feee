// The train stage's HTML report: self-contained (Chart.js inlined, nothing loaded from the
// network), carries the numbers, and escapes every string that comes from the user.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <string>

#include <gtest/gtest.h>

#include "tinyml/report/html.hpp"
#include "tinyml/version.hpp"

using nlohmann::json;
using tinyml::report::chartjs_source;
using tinyml::report::html_escape;
using tinyml::report::json_for_script;
using tinyml::report::training_report_html;

namespace {

json evaluation(const json& names, const json& confusion) {
  json e;
  std::size_t K = names.size(), samples = 0, correct = 0;
  e["classes"] = json::array();
  double macro = 0;
  for (std::size_t k = 0; k < K; ++k) {
    std::size_t support = 0, predicted = 0;
    for (std::size_t j = 0; j < K; ++j) {
      support += confusion.at(k).at(j).get<std::size_t>();
      predicted += confusion.at(j).at(k).get<std::size_t>();
    }
    samples += support;
    auto tp = confusion[k][k].get<double>();
    correct += confusion[k][k].get<std::size_t>();
    double p = predicted ? tp / static_cast<double>(predicted) : 0, r = support ? tp / static_cast<double>(support) : 0;
    double f1 = p + r > 0 ? 2 * p * r / (p + r) : 0;
    macro += f1 / static_cast<double>(K);
    e["classes"].push_back({{"name", names[k]}, {"precision", p}, {"recall", r}, {"f1", f1},
                            {"support", support}, {"predicted", predicted}});
  }
  e["samples"] = samples;
  e["accuracy"] = samples ? static_cast<double>(correct) / static_cast<double>(samples) : 0.0;
  e["macro_f1"] = macro;
  e["confusion"] = confusion;
  return e;
}

// Shaped like the home example's build/train/report.json (two classes).
json home_report(const json& names = {"normal", "event"}) {
  json r;
  r["history"] = json::array();
  for (int e = 1; e <= 20; ++e)
    r["history"].push_back({{"epoch", e}, {"lr", 0.003 * (1 - e / 25.0)}, {"loss", 1.2 / e}, {"accuracy", 0.9 + e * 0.002},
                            {"val_loss", 0.5 / e + 0.05}, {"val_accuracy", e == 1 ? 0.627 : 1.0}, {"seconds", 0.008}});
  r["best_epoch"] = 17;
  r["parameters"] = 490;
  r["macs"] = 2912;
  r["inputs_hash"] = "fa04dedb32d319a2";
  r["up_to_date"] = false;
  r["layers"] = json::parse(R"([{"filters": 8, "kernel": 3, "type": "conv1d"}, {"type": "relu"},
    {"pool": 2, "type": "max_pool1d"}, {"filters": 16, "kernel": 3, "type": "conv1d"}, {"type": "relu"},
    {"type": "global_average_pool"}, {"type": "dense", "units": 2}])");
  r["validation"] = evaluation(names, json::parse("[[735, 0], [0, 0]]"));
  r["test"] = evaluation(names, json::parse("[[679, 153], [0, 7]]"));
  return r;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::size_t occurrences(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (auto at = s.find(what); at != std::string::npos; at = s.find(what, at + what.size())) ++n;
  return n;
}

// The text of the <script type="application/json" id="tinyml-report"> element.
std::string data_block(const std::string& page) {
  const std::string open = "<script type=\"application/json\" id=\"tinyml-report\">";
  auto a = page.find(open);
  if (a == std::string::npos) return "";
  a += open.size();
  return page.substr(a, page.find("</script>", a) - a);
}

}  // namespace

TEST(ReportHtml, EmbedsChartJsAndLoadsNothing) {
  const std::string_view lib = chartjs_source();
  ASSERT_GT(lib.size(), 100'000u);
  EXPECT_TRUE(lib.starts_with("/*!\n * Chart.js v4.")) << lib.substr(0, 40);
  EXPECT_EQ(lower(std::string(lib)).find("</script"), std::string::npos);
  EXPECT_EQ(lib.find("sourceMappingURL"), std::string_view::npos);

  const std::string page = training_report_html(home_report(), "home", "2025-11-25 11:50");
  EXPECT_NE(page.find(lib), std::string::npos) << "Chart.js is not inlined";
  EXPECT_EQ(page.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(page.find("</html>"), std::string::npos);
  // No external script, style sheet, image or frame: outside the library, no attribute or
  // style names a URL at all. The CSP forbids any other load.
  std::string l = lower(page);
  l.erase(l.find(lower(std::string(lib))), lib.size());
  for (const char* s : {"src=", "href=", "url(", "<link", "<iframe", "<img", "@import", "http:", "https:"})
    EXPECT_EQ(l.find(s), std::string::npos) << s;
  EXPECT_NE(page.find("Content-Security-Policy\" content=\"default-src 'none'"), std::string::npos);
  // Three scripts: the data, the library, the charts.
  EXPECT_EQ(occurrences(l, "<script"), 3u);
  EXPECT_EQ(occurrences(l, "</script"), 3u);
  EXPECT_NE(l.find("<script>\n\n</script>"), std::string::npos);  // where the library was
}

TEST(ReportHtml, CarriesTheNumbers) {
  const json report = home_report();
  const std::string page = training_report_html(report, "home", "2025-11-25 11:50");
  // Header.
  EXPECT_NE(page.find("<h1>home</h1>"), std::string::npos);
  EXPECT_NE(page.find(std::string("tinyml ") + tinyml::kVersion), std::string::npos);
  EXPECT_NE(page.find("2025-11-25 11:50"), std::string::npos);
  EXPECT_NE(page.find("<div class=\"value\">17</div>"), std::string::npos);     // best epoch
  EXPECT_NE(page.find("<div class=\"value\">81.76&nbsp;%</div>"), std::string::npos);  // test accuracy
  EXPECT_NE(page.find("<div class=\"value\">2,912</div>"), std::string::npos);  // MACs
  // Both confusion matrices, counts in cells, class names on the axes.
  for (const char* n : {"735", "679", "153", "7"})
    EXPECT_NE(page.find(std::string("<span class=\"n\">") + n + "</span>"), std::string::npos) << n;
  EXPECT_NE(page.find("<th class=\"row\" title=\"event\">event</th>"), std::string::npos);
  EXPECT_NE(page.find("<th class=\"col\" title=\"normal\">normal</th>"), std::string::npos);
  EXPECT_EQ(occurrences(page, "<table class=\"cm\">"), 2u);  // not compact: 2 classes
  EXPECT_NE(page.find("predicted class"), std::string::npos);
  EXPECT_NE(page.find("true class"), std::string::npos);
  // Per-class metrics: the test set's event class (precision 7/160).
  EXPECT_NE(page.find(">0.044</td>"), std::string::npos);
  EXPECT_NE(page.find(">0.816</td>"), std::string::npos);
  // The validation set has no event sample: said so, and its row is drawn as empty.
  EXPECT_NE(page.find("The validation set holds no <b>event</b> sample"), std::string::npos);
  EXPECT_NE(page.find("cell empty"), std::string::npos);
  // Model summary.
  EXPECT_NE(page.find("global_average_pool"), std::string::npos);
  EXPECT_NE(page.find("<code>filters=16</code>"), std::string::npos);
  EXPECT_NE(page.find("490 parameters"), std::string::npos);
  // Chart canvases, and the report JSON as data, unchanged.
  EXPECT_NE(page.find("id=\"chart-loss\""), std::string::npos);
  EXPECT_NE(page.find("id=\"chart-accuracy\""), std::string::npos);
  EXPECT_EQ(json::parse(data_block(page)), report);
}

TEST(ReportHtml, LayerSummaryGivesShapesParametersAndMacs) {
  json report = home_report();
  report["input_shape"] = {12, 2};
  report["layer_summary"] = json::parse(R"([
    {"type": "conv1d", "description": "conv1d 8 filters, kernel 3", "output": [12, 8], "parameters": 56, "macs": 576},
    {"type": "global_average_pool", "description": "global_average_pool", "output": [8], "parameters": 0, "macs": 0},
    {"type": "dense", "description": "dense 2 units", "output": [2], "parameters": 18, "macs": 16}])");
  const std::string page = training_report_html(report, "home", "now");
  EXPECT_NE(page.find("<th>output</th>"), std::string::npos);
  EXPECT_NE(page.find("conv1d 8 filters, kernel 3</td><td>[12,8]</td><td class=\"num\">56</td><td class=\"num\">576</td>"),
            std::string::npos);
  EXPECT_NE(page.find("<td>input</td><td>[12,2]</td>"), std::string::npos);
  EXPECT_NE(page.find("3 layers: 490 parameters"), std::string::npos);
  // The declared settings table is replaced by the summary.
  EXPECT_EQ(page.find("<code>filters=16</code>"), std::string::npos);
}

TEST(ReportHtml, HostileNamesAreEscaped) {
  const std::string evil = "</script><b>\"&'";
  const json names = {evil, "<!-- x", "a\xE2\x80\xA8" "b"};
  json report = home_report();
  report["validation"] = evaluation(names, json::parse("[[5, 1, 0], [2, 9, 0], [0, 0, 4]]"));
  report["test"] = evaluation(names, json::parse("[[3, 0, 1], [0, 7, 0], [1, 0, 2]]"));
  report["layers"] = json::parse(R"([{"type": "dense</script>", "units": "<img src=x onerror=alert(1)>"}])");
  const std::string page = training_report_html(report, evil, "<i>now</i>");

  EXPECT_EQ(page.find(evil), std::string::npos);
  EXPECT_EQ(page.find("<b>\""), std::string::npos);
  EXPECT_EQ(page.find("<!-- x"), std::string::npos);
  EXPECT_EQ(page.find("<img"), std::string::npos);
  EXPECT_EQ(page.find("<i>now"), std::string::npos);
  const std::string escaped = "&lt;/script&gt;&lt;b&gt;&quot;&amp;&#39;";
  EXPECT_NE(page.find("<h1>" + escaped + "</h1>"), std::string::npos);
  EXPECT_NE(page.find("<title>" + escaped), std::string::npos);
  EXPECT_NE(page.find("<th class=\"row\" title=\"" + escaped + "\">" + escaped + "</th>"), std::string::npos);
  EXPECT_NE(page.find("&lt;!-- x"), std::string::npos);
  EXPECT_NE(page.find("&lt;i&gt;now&lt;/i&gt;"), std::string::npos);
  // No element ends early: exactly the page's own three scripts close.
  const std::string l = lower(page);
  EXPECT_EQ(occurrences(l, "<script"), 3u);
  EXPECT_EQ(occurrences(l, "</script"), 3u);
  // The data block still parses back to the report.
  const std::string data = data_block(page);
  EXPECT_EQ(data.find('<'), std::string::npos);
  EXPECT_EQ(data.find("\xE2\x80\xA8"), std::string::npos);
  EXPECT_NE(data.find("\\u003c/script\\u003e"), std::string::npos);
  EXPECT_EQ(json::parse(data), report);
}

TEST(ReportHtml, Escaping) {
  EXPECT_EQ(html_escape("a<b>&\"'c"), "a&lt;b&gt;&amp;&quot;&#39;c");
  EXPECT_EQ(html_escape("caf\xC3\xA9 \xE2\x82\xAC"), "caf\xC3\xA9 \xE2\x82\xAC");  // valid UTF-8 kept
  EXPECT_EQ(html_escape("x\xFFy"), "x\xEF\xBF\xBDy");                            // invalid byte
  EXPECT_EQ(html_escape("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");                 // overlong '/'
  EXPECT_EQ(html_escape("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"); // surrogate
  EXPECT_EQ(html_escape("\xE2\x82"), "\xEF\xBF\xBD\xEF\xBF\xBD");                 // truncated
  EXPECT_EQ(html_escape(std::string("a\0b\x01\tc\n", 7)), "a\xEF\xBF\xBD" "b\xEF\xBF\xBD\tc\n");
  EXPECT_EQ(json_for_script(json{{"k", "</script>&"}}), R"({"k":"\u003c/script\u003e\u0026"})");
  EXPECT_EQ(json_for_script(json("\xFF")), "\"\xEF\xBF\xBD\"");
}

TEST(ReportHtml, InvalidUtf8AndNonFiniteValuesDoNotThrow) {
  json report = home_report({"ok", "bad\xFF"});
  report["history"][3]["loss"] = std::numeric_limits<double>::quiet_NaN();
  report["history"][4]["val_loss"] = std::numeric_limits<double>::infinity();
  std::string page;
  ASSERT_NO_THROW(page = training_report_html(report, "p\xC3", "t"));
  EXPECT_NE(page.find("bad\xEF\xBF\xBD"), std::string::npos);
  EXPECT_NE(page.find("<h1>p\xEF\xBF\xBD</h1>"), std::string::npos);
  EXPECT_NE(data_block(page).find("\"loss\":null"), std::string::npos);
}

TEST(ReportHtml, LeavesOutWhatTheReportLacks) {
  // No validation set, no history, malformed confusion matrix: still a page, without those parts.
  json report = home_report();
  report.erase("validation");
  report.erase("history");
  report["test"]["confusion"] = json::parse("[[1, 2], [3]]");
  std::string page;
  ASSERT_NO_THROW(page = training_report_html(report, "", ""));
  EXPECT_EQ(page.find("id=\"chart-loss\""), std::string::npos);
  EXPECT_EQ(page.find("<section id=\"validation\">"), std::string::npos);
  EXPECT_NE(page.find("<section id=\"test\">"), std::string::npos);
  EXPECT_NE(page.find("No confusion matrix in the report."), std::string::npos);
  report["test"].erase("classes");
  ASSERT_NO_THROW(page = training_report_html(report, "", ""));
  EXPECT_NE(page.find("No per-class metrics in the report."), std::string::npos);
  EXPECT_NE(page.find("<h1>tinyml project</h1>"), std::string::npos);

  ASSERT_NO_THROW(page = training_report_html(json::object(), "x", "y"));
  EXPECT_NE(page.find("no validation or test evaluation"), std::string::npos);
  ASSERT_NO_THROW(page = training_report_html(json("not an object"), "x", "y"));
  ASSERT_NO_THROW(page = training_report_html(json::parse(R"({"history": 3, "best_epoch": "x", "test": [],
      "validation": {"classes": [1, {"name": 2}], "confusion": [[-1]]}, "layers": [1, "dense", {"type": 5}]})"),
                                              "x", "y"));
}

TEST(ReportHtml, ShowsTheClassicModelsAndTheDetector) {
  json report = home_report();
  report["knn"] = {{"k", 5}, {"metric", "l2"}, {"weights", "distance"}, {"stored", 16}, {"bytes", 1552},
                   {"validation", report["validation"]}, {"test", report["test"]}};
  report["knn"]["prototypes"] = {
      {"flash_bytes", 4096},
      {"table", json::parse(R"([{"method": "full", "per_class": 0, "prototypes": 1573, "bytes": 152581,
                                 "accuracy": 1.0, "chosen": false},
                                {"method": "kmeans", "per_class": 8, "prototypes": 16, "bytes": 1552,
                                 "accuracy": 0.9987, "chosen": true}])")}};
  report["forest"] = {{"trees", 50}, {"criterion", "gini"}, {"features_per_split", 4}, {"max_depth", 0},
                      {"nodes", 1040}, {"test", evaluation({"normal", "event"}, json::parse("[[830, 2], [1, 6]]"))}};
  report["anomaly"] = json::parse(R"({"method": "kmeans", "normal_class": "normal", "clusters": 8,
      "target_fpr": 0.01, "threshold": 2.1257, "fit_samples": 1552, "calibration_samples": 735,
      "validation": {"samples": 735, "normal": 735, "anomalies": 0, "false_positive_rate": 0.0095,
                     "precision": 0.0, "recall": null, "f1": null, "roc_auc": null, "roc": []},
      "test": {"samples": 839, "normal": 832, "anomalies": 7, "false_positive_rate": 0.0998,
               "precision": 0.0778, "recall": 1.0, "f1": 0.1443, "roc_auc": 0.9997,
               "roc": [[0, 0], [0, 0.57], [0.0024, 0.857], [1, 1]]}})");
  const std::string page = training_report_html(report, "home", "now");
  EXPECT_NE(page.find("<section id=\"classic\">"), std::string::npos);
  EXPECT_NE(page.find("<a href=\"#forest\">Random forest</a>"), std::string::npos);
  EXPECT_NE(page.find("<div class=\"label\">forest test accuracy</div><div class=\"value\">99.64&nbsp;%</div>"),
            std::string::npos);
  EXPECT_NE(page.find("50 trees, gini criterion, 4 features tried per split, max depth none; 1,040 nodes"),
            std::string::npos);
  // The prototype table, its kept row marked, and the budget.
  EXPECT_NE(page.find("<tr class=\"chosen\"><td>kmeans</td><td class=\"num\">8</td><td class=\"num\">16</td>"
                      "<td class=\"num\">1,552</td><td class=\"num\">99.87&nbsp;%</td><td>kept</td></tr>"),
            std::string::npos);
  EXPECT_NE(page.find("flash budget of 4,096 bytes"), std::string::npos);
  EXPECT_NE(page.find("<section id=\"knn-test\">"), std::string::npos);
  EXPECT_NE(page.find("<section id=\"forest-test\">"), std::string::npos);
  EXPECT_EQ(page.find("<section id=\"forest-validation\">"), std::string::npos);  // it has no validation entry
  // The detector: threshold, the rates per set (undefined where a set lacks anomalies) and the ROC chart.
  EXPECT_NE(page.find("<h2>Anomaly detection</h2>"), std::string::npos);
  EXPECT_NE(page.find("the threshold <b>2.1257</b>"), std::string::npos);
  EXPECT_NE(page.find("<td>test</td><td class=\"num\">839</td><td class=\"num\">832</td><td class=\"num\">7</td>"
                      "<td class=\"num\">0.100</td><td class=\"num\">0.078</td><td class=\"num\">1.000</td>"
                      "<td class=\"num\">0.144</td><td class=\"num\">0.9997</td>"),
            std::string::npos);
  EXPECT_NE(page.find("<td class=\"num\">0.009</td><td class=\"num\">0.000</td><td class=\"num\"><span "
                      "class=\"undefined\">undefined</span>"),
            std::string::npos);
  EXPECT_NE(page.find("id=\"chart-roc\""), std::string::npos);
  EXPECT_NE(page.find("<div class=\"label\">network test accuracy</div>"), std::string::npos);
  EXPECT_EQ(json::parse(data_block(page)), report);

  // Only classic models: no network cards, no warning about missing evaluations.
  json classic_only = {{"forest", report["forest"]}, {"anomaly", report["anomaly"]}};
  const std::string p2 = training_report_html(classic_only, "c", "now");
  EXPECT_EQ(p2.find("<div class=\"label\">best epoch</div>"), std::string::npos);
  EXPECT_NE(page.find("<div class=\"label\">best epoch</div>"), std::string::npos);
  EXPECT_EQ(p2.find("no validation or test evaluation"), std::string::npos);
  EXPECT_NE(p2.find("anomaly test ROC AUC"), std::string::npos);
  // No ROC points: no chart.
  classic_only["anomaly"]["test"]["roc"] = json::array();
  EXPECT_EQ(training_report_html(classic_only, "c", "now").find("id=\"chart-roc\""), std::string::npos);
}
