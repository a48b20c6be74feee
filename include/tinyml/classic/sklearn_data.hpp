// The scikit-learn data sets shipped in data/sklearn/ as Datasets, and the fixed split the
// classic models' tests and benchmarks use to compare with scikit-learn.
#pragma once

#include <cstddef>
#include <filesystem>
#include <utility>

#include "tinyml/data/dataset.hpp"

namespace tinyml::classic {

// Reads iris.csv, wine_data.csv, breast_cancer.csv (first line "n_samples,n_features,class
// names...") or digits.csv.gz (no header; 64 pixels then the label); .gz is decompressed.
// Every column but the last is a feature (float32), the last is the class index. Class
// names come from the first line, or are the label values ("0", "1", ...). Throws
// InputError naming the file for a malformed file or a label that is not a class index.
data::Dataset read_sklearn_csv(const std::filesystem::path& path);

// The split used against scikit-learn: sample i goes to test when i % every == every - 1,
// to train otherwise (every = 3: rows 2, 5, 8, ... are the test set). Throws InputError
// for every < 2.
std::pair<data::Dataset, data::Dataset> split_every(const data::Dataset& d, std::size_t every);

}  // namespace tinyml::classic
