// Self-contained HTML reports: one file that opens offline (no network, no CDN). Charts are
// drawn by Chart.js, which is compiled into the binary and inlined in the page.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace tinyml::report {

// The train stage's report as an HTML page: header (project, tinyml version, `generated_at`
// as given, best epoch, test accuracy), loss and accuracy per epoch (train and validation),
// the validation and test confusion matrices as heat maps, per-class precision / recall /
// F1 / support, and the model's layers with its parameter and MAC totals.
// `train_report` is what the train stage writes as build/train/report.json; parts it lacks
// (no validation or test set, no history) are left out of the page. Every string from it is
// escaped; the JSON itself is also carried in the page, in <script type="application/json"
// id="tinyml-report">.
std::string training_report_html(const nlohmann::json& train_report, const std::string& project_name,
                                 const std::string& generated_at);

// Text for HTML element content or a quoted attribute value: & < > " ' as character
// references; invalid UTF-8 and control characters other than tab, LF and CR become U+FFFD.
std::string html_escape(std::string_view text);

// JSON for a <script type="application/json"> element: < > & and U+2028/U+2029 written as
// \u escapes so that no string can end the element; invalid UTF-8 becomes U+FFFD.
std::string json_for_script(const nlohmann::json& value);

// The embedded Chart.js (UMD build, third_party/chartjs), as inlined in the pages.
std::string_view chartjs_source();

}  // namespace tinyml::report
