#include "tinyml/eval/metrics.hpp"

#include <fmt/format.h>

#include "tinyml/error.hpp"

namespace tinyml::eval {

Evaluation evaluate(const std::vector<std::int32_t>& truth, const std::vector<std::int32_t>& pred,
                    const std::vector<std::string>& names) {
  if (truth.size() != pred.size()) failure("evaluate: {} labels but {} predictions", truth.size(), pred.size());
  const std::size_t K = names.size();
  Evaluation e;
  e.samples = truth.size();
  e.confusion.assign(K, std::vector<std::size_t>(K, 0));
  std::size_t correct = 0;
  for (std::size_t i = 0; i < truth.size(); ++i) {
    auto t = static_cast<std::size_t>(truth[i]), p = static_cast<std::size_t>(pred[i]);
    if (t >= K || p >= K) failure("evaluate: class index out of range");
    ++e.confusion[t][p];
    correct += t == p;
  }
  e.accuracy = e.samples ? static_cast<double>(correct) / static_cast<double>(e.samples) : 0.0;
  for (std::size_t k = 0; k < K; ++k) {
    ClassMetrics c;
    c.name = names[k];
    for (std::size_t j = 0; j < K; ++j) {
      c.support += e.confusion[k][j];
      c.predicted += e.confusion[j][k];
    }
    const double tp = static_cast<double>(e.confusion[k][k]);
    c.precision = c.predicted ? tp / static_cast<double>(c.predicted) : 0.0;
    c.recall = c.support ? tp / static_cast<double>(c.support) : 0.0;
    c.f1 = c.precision + c.recall > 0 ? 2 * c.precision * c.recall / (c.precision + c.recall) : 0.0;
    e.macro_f1 += c.f1 / static_cast<double>(K);
    e.classes.push_back(c);
  }
  return e;
}

nlohmann::json Evaluation::json() const {
  nlohmann::json j;
  j["samples"] = samples;
  j["accuracy"] = accuracy;
  j["macro_f1"] = macro_f1;
  j["confusion"] = confusion;
  j["classes"] = nlohmann::json::array();
  for (const auto& c : classes)
    j["classes"].push_back({{"name", c.name},
                            {"precision", c.precision},
                            {"recall", c.recall},
                            {"f1", c.f1},
                            {"support", c.support},
                            {"predicted", c.predicted}});
  return j;
}

std::string Evaluation::text() const {
  std::string s = fmt::format("accuracy {:.4f} on {} samples, macro F1 {:.4f}\n", accuracy, samples, macro_f1);
  s += fmt::format("  {:<16} {:>9} {:>9} {:>9} {:>9}\n", "class", "precision", "recall", "F1", "support");
  for (const auto& c : classes)
    s += fmt::format("  {:<16} {:>9.4f} {:>9.4f} {:>9.4f} {:>9}\n", c.name.substr(0, 16), c.precision, c.recall,
                     c.f1, c.support);
  s += "  confusion (rows: true, columns: predicted)\n";
  for (std::size_t i = 0; i < confusion.size(); ++i) {
    s += fmt::format("  {:<16}", classes[i].name.substr(0, 16));
    for (auto v : confusion[i]) s += fmt::format(" {:>7}", v);
    s += "\n";
  }
  return s;
}

}  // namespace tinyml::eval
