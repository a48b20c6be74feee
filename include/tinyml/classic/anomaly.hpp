// Anomaly detection by k-means distance: k-means is fitted on normal data only; a sample's
// score is its Euclidean distance to the nearest centroid; the threshold is calibrated on
// normal validation data for a target false-positive rate. ROC AUC measures a score
// vector against labels.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tinyml/classic/kmeans.hpp"
#include "tinyml/data/dataset.hpp"

namespace tinyml::classic {

class KMeansAnomalyDetector {
 public:
  // Every sample of `normal` is taken as normal (labels are not read).
  void fit(const data::Dataset& normal, const KMeansOptions& opt);
  // Uses a fitted k-means model as it is (from a model file). InputError when it has no
  // centroid, centroids that are not whole rows of `dim` values, or non-finite values.
  void set_model(KMeans m);

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

// One point of a ROC curve: the rates of flagging when the threshold is just below a score.
struct RocPoint {
  double fpr = 0, tpr = 0;
};

// The ROC curve from (0, 0) to (1, 1), one point per distinct score (highest first); when
// there are more than `max_points`, evenly spaced points of it (the first and last kept).
// InputError as for roc_auc.
std::vector<RocPoint> roc_curve(std::span<const double> scores, std::span<const std::int32_t> labels,
                                std::size_t max_points = 200);

// How a detector does on labelled samples, anomalies (label 1) being the positive class;
// a sample is flagged when its score is > threshold.
struct DetectionMetrics {
  static constexpr double kUndefined = std::numeric_limits<double>::quiet_NaN();
  std::size_t samples = 0, normal = 0, anomalies = 0;
  std::size_t true_positives = 0, false_positives = 0, true_negatives = 0, false_negatives = 0;
  double threshold = 0;
  double false_positive_rate = kUndefined;  // flagged normal samples / normal samples
  double precision = kUndefined;            // 0 when nothing is flagged (zero_division=0)
  double recall = kUndefined;               // undefined without an anomaly
  double f1 = kUndefined;
  double roc_auc = kUndefined;              // undefined unless both kinds are present
  std::vector<RocPoint> roc;                // empty when roc_auc is undefined

  nlohmann::json json() const;  // undefined values are null
  std::string text() const;     // a few lines, each ending in a newline
};

// InputError when the sizes differ or a label is not 0 or 1.
DetectionMetrics detection_metrics(std::span<const double> scores, std::span<const std::int32_t> labels,
                                   double threshold);

// Labels for roc_auc: 0 for samples of `normal_class`, 1 for the others.
std::vector<std::int32_t> anomaly_labels(const data::Dataset& d, std::int32_t normal_class);

// The samples of `d` whose class is `cls` (e.g. the normal ones, to fit a detector).
data::Dataset samples_of_class(const data::Dataset& d, std::int32_t cls);

}  // namespace tinyml::classic
