// Anomaly detection by k-means distance: k-means is fitted on normal data only; a sample's
// score is its Euclidean distance to the nearest centroid; the threshold is calibrated on
// normal validation data for a target false-positive rate. ROC AUC measures a score
// vector against labels.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "tinyml/classic/kmeans.hpp"
#include "tinyml/data/dataset.hpp"

namespace tinyml::classic {

class KMeansAnomalyDetector {
 public:
  // Every sample of `normal` is taken as normal (labels are not read).
  void fit(const data::Dataset& normal, const KMeansOptions& opt);

  std::vector<double> score(const data::Dataset& d) const;
  std::vector<double> score(std::span<const float> x) const;  // rows of dim() values

  // Sets and returns the threshold for which at most target_fpr of `normal` scores above it
  // (see threshold_for_fpr).
  double calibrate(const data::Dataset& normal, double target_fpr);
  void set_threshold(double t) { threshold_ = t; }
  double threshold() const { return threshold_; }

  // 1 where score > threshold, else 0.
  std::vector<std::int32_t> detect(const data::Dataset& d) const;

  const KMeans& model() const { return model_; }
  std::size_t dim() const { return model_.dim; }

 private:
  KMeans model_;
  double threshold_ = 0;
};

// The smallest score t of `normal_scores` such that no more than floor(target_fpr * n) of
// them are strictly above t: sort ascending, t = the (n - m)-th smallest, m = floor(fpr n).
// A sample is flagged when its score is > t, so the false-positive rate on these scores is
// at most target_fpr (lower when scores tie at t). target_fpr in [0, 1]; InputError
// otherwise, or for no scores.
double threshold_for_fpr(std::span<const double> normal_scores, double target_fpr);

// Area under the ROC curve of `scores` (higher = more anomalous) against `labels` (1 =
// anomaly / positive, 0 = normal), by the Mann-Whitney statistic with tied scores given
// their average rank: the probability that a random positive outscores a random negative,
// ties counting one half. Equals scikit-learn's roc_auc_score. InputError when the sizes
// differ, a label is not 0 or 1, or a class is absent.
double roc_auc(std::span<const double> scores, std::span<const std::int32_t> labels);

// Labels for roc_auc: 0 for samples of `normal_class`, 1 for the others.
std::vector<std::int32_t> anomaly_labels(const data::Dataset& d, std::int32_t normal_class);

// The samples of `d` whose class is `cls` (e.g. the normal ones, to fit a detector).
data::Dataset samples_of_class(const data::Dataset& d, std::int32_t cls);

}  // namespace tinyml::classic
