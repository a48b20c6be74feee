#include "tinyml/classic/anomaly.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "tinyml/error.hpp"

namespace tinyml::classic {

void KMeansAnomalyDetector::fit(const data::Dataset& normal, const KMeansOptions& opt) {
  model_ = fit_kmeans(rows_of(normal, "anomaly: normal training data"), opt);
  threshold_ = 0;
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
