//===- SbsInfo.cpp - Describe a .sbs for people and machines --------------===//

#include "tools/gemma-sbs/SbsInfo.h"

#include "runtime/formats/SbsModel.h"

#include <fmt/format.h>

#include <algorithm>

#include <set>

namespace gemma {
namespace {

using Json = nlohmann::ordered_json;

// Turns any IFields struct into JSON through its VisitFields.
class JsonVisitor {
public:
  template <class T> void operator()(const char *name, const T &value) {
    object[name] = ToJson(value);
  }

  template <class S> static Json Of(const S &object) {
    JsonVisitor visitor;
    const_cast<S &>(object).VisitFields(visitor);
    return visitor.object;
  }

  Json object = Json::object();

private:
  template <class T> static Json ToJson(const T &value) {
    if constexpr (std::is_enum_v<T>)
      return static_cast<uint32_t>(value);
    else if constexpr (std::is_arithmetic_v<T> ||
                       std::is_same_v<T, std::string>)
      return value;
    else
      return Of(value);
  }
  template <class T> static Json ToJson(const std::vector<T> &values) {
    Json array = Json::array();
    for (const T &value : values)
      array.push_back(ToJson(value));
    return array;
  }
};

std::string Scalar(const Json &value) {
  if (value.is_string())
    return value.get<std::string>();
  if (value.is_number_float())
    return fmt::format("{:g}", value.get<double>());
  return value.dump();
}

// "k=v k=v" for one struct; nested arrays are summarized by their length.
std::string Inline(const Json &object) {
  std::string out;
  for (const auto &[key, value] : object.items()) {
    if (!out.empty())
      out += ' ';
    if (value.is_array())
      out += fmt::format("{}=[{} entries]", key, value.size());
    else
      out += fmt::format("{}={}", key, Scalar(value));
  }
  return out;
}

} // namespace

Json SbsInfoJson(const sbs::SbsFile &file) {
  const sbs::BlobReader &container = file.container();
  Json info;
  info["file"] = container.name();
  info["layout"] = container.layout() == sbs::BlobLayout::kV2 ? "V2" : "V1";
  info["format"] = file.legacy()
                       ? "pre-2025 multi-file (config and toc deduced)"
                       : "single-file";
  info["file_bytes"] = container.file_bytes();
  info["blobs"] = container.entries().size();
  info["specifier"] = sbs::Specifier(file.config());
  info["config"] = JsonVisitor::Of(file.config());
  info["config_extra_words"] = file.config_report().extra_words;
  info["config_missing_fields"] = file.config_report().missing_fields;
  absl::StatusOr<ModelSpec> spec = SpecFromSbsConfig(file.config());
  info["spec"] = spec.ok() ? Json(FormatModelSpec(*spec))
                           : Json(std::string(spec.status().message()));
  info["tokenizer_bytes"] = file.tokenizer() ? file.tokenizer()->size() : 0;
  Json tensors = Json::array();
  std::set<std::string_view> tensor_keys;
  for (const sbs::TensorRecord &record : file.tensors()) {
    tensor_keys.insert(file.BlobKey(record));
    const sbs::BlobEntry *entry = container.FindEntry(file.BlobKey(record));
    tensors.push_back({{"name", record.name},
                       {"type", std::string(StoredTypeName(record.type))},
                       {"rows", record.rows},
                       {"cols", record.cols},
                       {"scale", record.scale},
                       {"offset", entry->offset},
                       {"bytes", entry->size}});
  }
  info["tensors"] = tensors;
  Json other = Json::array();
  for (const sbs::BlobEntry &entry : container.entries())
    if (!tensor_keys.contains(entry.key))
      other.push_back({{"name", entry.key},
                       {"offset", entry.offset},
                       {"bytes", entry.size}});
  info["metadata_blobs"] = other;
  return info;
}

std::string SbsInfoText(const sbs::SbsFile &file) {
  const Json info = SbsInfoJson(file);
  std::string out;
  out += fmt::format("file: {}\n", Scalar(info["file"]));
  out +=
      fmt::format("container: {}, {} blobs, {} bytes\n", Scalar(info["layout"]),
                  Scalar(info["blobs"]), Scalar(info["file_bytes"]));
  out += fmt::format("format: {}\n", Scalar(info["format"]));
  out += fmt::format("specifier: {}\n", Scalar(info["specifier"]));
  out += fmt::format("config: ({} extra words, {} fields missing)\n",
                     Scalar(info["config_extra_words"]),
                     Scalar(info["config_missing_fields"]));
  for (const auto &[key, value] : info["config"].items()) {
    if (value.is_array() && !value.empty() && value[0].is_object()) {
      // Like gemma.cpp's own dump: the first record in full, later ones
      // only where they differ from it.
      out += fmt::format("  {}[0]: {}\n", key, Inline(value[0]));
      for (size_t i = 1; i < value.size(); ++i) {
        Json differs = Json::object();
        for (const auto &[field, v] : value[i].items())
          if (v != value[0][field])
            differs[field] = v;
        if (!differs.empty())
          out += fmt::format("  {}[{}]: {}\n", key, i, Inline(differs));
      }
      out += fmt::format("  ({} records; those not listed equal [0])\n",
                         value.size());
    } else if (value.is_array()) {
      std::string items;
      for (const Json &item : value)
        items += (items.empty() ? "" : ", ") + Scalar(item);
      out += fmt::format("  {}: [{}]\n", key, items);
    } else if (value.is_object()) {
      out += fmt::format("  {}: {}\n", key, Inline(value));
    } else {
      out += fmt::format("  {}: {}\n", key, Scalar(value));
    }
  }
  out += "spec (as imported): " + Scalar(info["spec"]);
  if (out.back() != '\n')
    out += '\n';
  out += fmt::format("tokenizer: {} bytes\n", Scalar(info["tokenizer_bytes"]));
  out += fmt::format("tensors: {}\n", info["tensors"].size());
  // The name column as wide as the longest name, so the table stays aligned.
  size_t width = 16;
  for (const Json &t : info["tensors"])
    width = std::max(width, Scalar(t["name"]).size());
  out += fmt::format("  {:<{}} {:<5} {:>15} {:>10} {:>12} {:>12}\n", "name",
                     width, "type", "rows x cols", "scale", "offset", "bytes");
  for (const Json &t : info["tensors"])
    out += fmt::format(
        "  {:<{}} {:<5} {:>15} {:>10} {:>12} {:>12}\n", Scalar(t["name"]),
        width, Scalar(t["type"]),
        fmt::format("{} x {}", Scalar(t["rows"]), Scalar(t["cols"])),
        fmt::format("{:g}", t["scale"].get<float>()), Scalar(t["offset"]),
        Scalar(t["bytes"]));
  out += "metadata blobs:\n";
  for (const Json &b : info["metadata_blobs"])
    out += fmt::format("  {:<{}} {:>12} {:>12}\n", Scalar(b["name"]), width,
                       Scalar(b["offset"]), Scalar(b["bytes"]));
  return out;
}

} // namespace gemma
