#include "tinyml/nn/model_file.hpp"

#include <cstring>

#include "tinyml/error.hpp"
#include "tinyml/io.hpp"
#include "tinyml/nn/spec.hpp"

namespace tinyml::nn {

using nlohmann::json;

namespace {
constexpr char kMagic[9] = "TMLMODEL";

// Every float array of a model, in a fixed order: parameters, then BatchNorm statistics.
std::vector<std::pair<std::string, std::vector<float>*>> blobs(Model& m) {
  std::vector<std::pair<std::string, std::vector<float>*>> out;
  for (std::size_t i = 0; i < m.layers.size(); ++i) {
    Layer& l = *m.layers[i];
    for (Param* p : l.params()) out.emplace_back(fmt::format("{}.{}", i, p->name), &p->w);
    if (auto* bn = dynamic_cast<BatchNorm*>(&l)) {
      out.emplace_back(fmt::format("{}.running_mean", i), &bn->running_mean);
      out.emplace_back(fmt::format("{}.running_var", i), &bn->running_var);
    }
  }
  return out;
}
}  // namespace

std::string serialize(ModelFile& f) {
  json h;
  h["format"] = "tinyml-model";
  h["input_shape"] = f.model.input_shape;
  h["layers"] = f.layers;
  h["classes"] = f.classes;
  h["normalization"] = f.normalization.json();
  h["metadata"] = f.metadata;
  json list = json::array();
  auto bl = blobs(f.model);
  for (auto& [name, v] : bl) list.push_back({{"name", name}, {"size", v->size()}});
  h["blobs"] = list;
  std::string out = begin_container(kMagic, kModelFormatVersion, h.dump());
  for (auto& [name, v] : bl) out.append(reinterpret_cast<const char*>(v->data()), v->size() * sizeof(float));
  seal_container(out);
  return out;
}

ModelFile deserialize_model(std::string_view b, std::string_view name) {
  Container box = open_container(b, kMagic, kModelFormatVersion, name, "model");
  ModelFile f;
  json h;
  try {
    h = json::parse(box.header);
    if (h.at("format") != "tinyml-model") input_error("{}: not a tinyml model header", name);
    Shape in = h.at("input_shape").get<Shape>();
    if (in.empty() || in.size() > 4) input_error("{}: invalid input shape", name);
    for (int d : in)
      if (d < 1 || d > 1'000'000) input_error("{}: invalid input shape", name);
    f.layers = h.at("layers");
    f.classes = h.at("classes").get<std::vector<std::string>>();
    f.normalization = data::Normalization::from_json(h.at("normalization"));
    f.metadata = h.value("metadata", json::object());
    f.model = make_model(f.layers, in, 0);
  } catch (const json::exception& e) {
    input_error("{}: malformed model header: {}", name, e.what());
  } catch (const InputError& e) {
    input_error("{}: {}", name, e.what());
  }
  auto bl = blobs(f.model);
  std::size_t pos = 0, body = box.body.size(), need = 0;
  try {
    const json& list = h.at("blobs");
    if (!list.is_array() || list.size() != bl.size())
      input_error("{}: the header lists {} weight arrays but the model has {}", name,
                  list.is_array() ? list.size() : 0, bl.size());
    for (std::size_t i = 0; i < bl.size(); ++i) {
      const json& e = list[i];
      if (!e.is_object() || !e.contains("name") || !e["name"].is_string() || e["name"] != bl[i].first ||
          !e.contains("size") || !e["size"].is_number_unsigned() || e["size"] != bl[i].second->size())
        input_error("{}: weight array {} does not match the model ({} of {} values expected)", name, i,
                    bl[i].first, bl[i].second->size());
      need += bl[i].second->size() * sizeof(float);
    }
  } catch (const json::exception& e) {
    input_error("{}: malformed model header: {}", name, e.what());
  }
  if (need != body) input_error("{}: the weights take {} bytes but the file holds {}", name, need, body);
  for (auto& [n, v] : bl) {
    std::memcpy(v->data(), box.body.data() + pos, v->size() * sizeof(float));
    pos += v->size() * sizeof(float);
  }
  return f;
}

void save_model(const std::filesystem::path& p, ModelFile& f) { write_file_atomic(p, serialize(f)); }

ModelFile load_model(const std::filesystem::path& p) {
  std::string bytes = read_file(p);
  return deserialize_model(bytes, p.string());
}

}  // namespace tinyml::nn
