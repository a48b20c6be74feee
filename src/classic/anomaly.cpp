#include "tinyml/classic/anomaly.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

#include "tinyml/error.hpp"

namespace tinyml::classic {

void KMeansAnomalyDetector::fit(const data::Dataset& normal, const KMeansOptions& opt) {
  model_ = fit_kmeans(rows_of(normal, "anomaly: normal training data"), opt);
  threshold_ = 0;
}

void KMeansAnomalyDetector::set_model(KMeans m) {
  if (m.dim == 0 || m.centroids.empty() || m.centroids.size() % m.dim != 0)
    input_error("anomaly: {} centroid values are not whole rows of {} values", m.centroids.size(), m.dim);
  for (float v : m.centroids)
    if (!std::isfinite(v)) input_error("anomaly: a centroid holds a non-finite value");
  model_ = std::move(m);
}

std::vector<double> KMeansAnomalyDetector::score(std::span<const float> x) const {
  if (model_.k() == 0) input_error("anomaly: the detector is not fitted");
  const Rows r = rows_of(x, model_.dim, "anomaly: data to score");
  std::vector<double> s(r.n);
  for (std::size_t i = 0; i < r.n; ++i) {
    double d2;
    model_.nearest(r.row(i), &d2);
    s[i] = std::sqrt(d2);
  }
  return s;
}

std::vector<double> KMeansAnomalyDetector::score(const data::Dataset& d) const {
  const Rows r = rows_of(d, "anomaly: data to score");
  if (model_.k() != 0 && r.dim != model_.dim)
    input_error("anomaly: samples have {} values, the detector was fitted on {}", r.dim,
                model_.dim);
  return score(std::span<const float>(d.x));
}

double KMeansAnomalyDetector::calibrate(const data::Dataset& normal, double target_fpr) {
  const auto s = score(normal);
  threshold_ = threshold_for_fpr(s, target_fpr);
  return threshold_;
}

std::vector<std::int32_t> KMeansAnomalyDetector::detect(const data::Dataset& d) const {
  const auto s = score(d);
  std::vector<std::int32_t> out(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) out[i] = s[i] > threshold_ ? 1 : 0;
  return out;
}

double threshold_for_fpr(std::span<const double> normal_scores, double target_fpr) {
  if (!(target_fpr >= 0 && target_fpr <= 1))
    input_error("anomaly: target_fpr must be between 0 and 1 (got {})", target_fpr);
  if (normal_scores.empty()) input_error("anomaly: no normal scores to calibrate on");
  for (double v : normal_scores)
    if (std::isnan(v)) input_error("anomaly: a normal score is NaN");
  std::vector<double> s(normal_scores.begin(), normal_scores.end());
  std::sort(s.begin(), s.end());
  const std::size_t n = s.size();
  const auto m = static_cast<std::size_t>(std::floor(target_fpr * static_cast<double>(n)));
  return s[n - 1 - std::min(m, n - 1)];
}

double roc_auc(std::span<const double> scores, std::span<const std::int32_t> labels) {
  if (scores.size() != labels.size())
    input_error("roc_auc: {} scores for {} labels", scores.size(), labels.size());
  std::size_t pos = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] != 0 && labels[i] != 1)
      input_error("roc_auc: label {} of sample {} is not 0 (normal) or 1 (anomaly)", labels[i], i);
    if (std::isnan(scores[i])) input_error("roc_auc: score of sample {} is NaN", i);
    pos += labels[i] == 1;
  }
  const std::size_t neg = labels.size() - pos;
  if (pos == 0 || neg == 0)
    input_error("roc_auc: needs both classes, got {} anomalies and {} normal samples", pos, neg);
  std::vector<std::size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] < scores[b]; });
  // Sum of the (1-based, tie-averaged) ranks of the positives.
  double rank_sum = 0;
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    std::size_t tied_pos = 0;
    while (j < order.size() && scores[order[j]] == scores[order[i]]) tied_pos += labels[order[j++]] == 1;
    const double avg_rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2.0;
    rank_sum += avg_rank * static_cast<double>(tied_pos);
    i = j;
  }
  const double p = static_cast<double>(pos), q = static_cast<double>(neg);
  return (rank_sum - p * (p + 1) / 2.0) / (p * q);
}

std::vector<RocPoint> roc_curve(std::span<const double> scores, std::span<const std::int32_t> labels,
                                std::size_t max_points) {
  roc_auc(scores, labels);  // the same checks
  std::vector<std::size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
  double pos = 0, neg = 0;
  for (auto l : labels) (l == 1 ? pos : neg) += 1;
  std::vector<RocPoint> all{{0, 0}};
  std::size_t tp = 0, fp = 0;
  for (std::size_t i = 0; i < order.size();) {
    const double s = scores[order[i]];
    for (; i < order.size() && scores[order[i]] == s; ++i) (labels[order[i]] == 1 ? tp : fp) += 1;
    all.push_back({static_cast<double>(fp) / neg, static_cast<double>(tp) / pos});
  }
  if (max_points < 2 || all.size() <= max_points) return all;
  std::vector<RocPoint> out;
  for (std::size_t j = 0; j < max_points; ++j)
    out.push_back(all[j * (all.size() - 1) / (max_points - 1)]);
  return out;
}

DetectionMetrics detection_metrics(std::span<const double> scores, std::span<const std::int32_t> labels,
                                   double threshold) {
  if (scores.size() != labels.size())
    input_error("anomaly: {} scores for {} labels", scores.size(), labels.size());
  DetectionMetrics m;
  m.threshold = threshold;
  m.samples = scores.size();
  for (std::size_t i = 0; i < scores.size(); ++i) {
    if (labels[i] != 0 && labels[i] != 1)
      input_error("anomaly: label {} of sample {} is not 0 (normal) or 1 (anomaly)", labels[i], i);
    const bool flagged = scores[i] > threshold;
    if (labels[i] == 1)
      ++(flagged ? m.true_positives : m.false_negatives);
    else
      ++(flagged ? m.false_positives : m.true_negatives);
  }
  m.normal = m.false_positives + m.true_negatives;
  m.anomalies = m.true_positives + m.false_negatives;
  const auto ratio = [](std::size_t a, std::size_t b) {
    return static_cast<double>(a) / static_cast<double>(b);
  };
  if (m.normal) m.false_positive_rate = ratio(m.false_positives, m.normal);
  const std::size_t flagged = m.true_positives + m.false_positives;
  m.precision = flagged ? ratio(m.true_positives, flagged) : 0.0;
  if (m.anomalies) {
    m.recall = ratio(m.true_positives, m.anomalies);
    m.f1 = m.precision + m.recall > 0 ? 2 * m.precision * m.recall / (m.precision + m.recall) : 0.0;
  }
  if (m.normal && m.anomalies) {
    m.roc_auc = roc_auc(scores, labels);
    m.roc = roc_curve(scores, labels);
  }
  return m;
}

nlohmann::json DetectionMetrics::json() const {
  nlohmann::json roc_points = nlohmann::json::array();
  for (const auto& p : roc) roc_points.push_back({p.fpr, p.tpr});
  const auto value = [](double v) { return std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v); };
  return {{"samples", samples},
          {"normal", normal},
          {"anomalies", anomalies},
          {"threshold", threshold},
          {"true_positives", true_positives},
          {"false_positives", false_positives},
          {"true_negatives", true_negatives},
          {"false_negatives", false_negatives},
          {"false_positive_rate", value(false_positive_rate)},
          {"precision", value(precision)},
          {"recall", value(recall)},
          {"f1", value(f1)},
          {"roc_auc", value(roc_auc)},
          {"roc", roc_points}};
}

std::string DetectionMetrics::text() const {
  const auto num = [](double v) { return std::isnan(v) ? std::string("undefined") : fmt::format("{:.4f}", v); };
  std::string s = fmt::format("{} samples ({} normal, {} anomalies); threshold {:.6g}\n", samples, normal, anomalies,
                              threshold);
  s += fmt::format("  false-positive rate {} ({} of {} normal samples flagged)\n",
                   normal ? num(false_positive_rate) : "undefined (no normal sample)", false_positives, normal);
  if (anomalies)
    s += fmt::format("  detection: precision {}, recall {}, F1 {} ({} of {} anomalies flagged)\n", num(precision),
                     num(recall), num(f1), true_positives, anomalies);
  else
    s += "  detection: precision, recall and F1 undefined (no anomaly in this set)\n";
  s += fmt::format("  ROC AUC {}\n", std::isnan(roc_auc) ? std::string("undefined (needs normal and anomalous samples)")
                                                         : fmt::format("{:.4f}", roc_auc));
  return s;
}

std::vector<std::int32_t> anomaly_labels(const data::Dataset& d, std::int32_t normal_class) {
  std::vector<std::int32_t> out(d.y.size());
  for (std::size_t i = 0; i < d.y.size(); ++i) out[i] = d.y[i] == normal_class ? 0 : 1;
  return out;
}

data::Dataset samples_of_class(const data::Dataset& d, std::int32_t cls) {
  std::vector<std::size_t> idx;
  for (std::size_t i = 0; i < d.size(); ++i)
    if (d.y[i] == cls) idx.push_back(i);
  return subset(d, idx);
}

}  // namespace tinyml::classic
