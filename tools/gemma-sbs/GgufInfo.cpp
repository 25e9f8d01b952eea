//===- GgufInfo.cpp - What `gemma-sbs info` prints of a GGUF file ---------===//

#include "tools/gemma-sbs/GgufInfo.h"

#include "tools/common/Errors.h"

#include "runtime/formats/gguf/GgufModel.h"

#include <fmt/format.h>

#include <algorithm>
#include <fmt/ranges.h>

namespace gemma {
namespace {

using Json = nlohmann::ordered_json;
using gguf::Value;
using gguf::ValueType;

// Long strings (chat templates, ...) are cut for display.
std::string Shown(std::string_view s) {
  std::string out(s.substr(0, 120));
  if (s.size() > 120)
    out += fmt::format("... ({} bytes)", s.size());
  return out;
}

Json ScalarJson(const Value &v) {
  switch (v.type) {
  case ValueType::kF32:
  case ValueType::kF64:
    return v.f;
  case ValueType::kBool:
    return v.u != 0;
  case ValueType::kString:
    return Shown(v.s);
  case ValueType::kI8:
  case ValueType::kI16:
  case ValueType::kI32:
  case ValueType::kI64:
    return v.i;
  default:
    return v.u;
  }
}

Json ValueJson(const Value &v) {
  if (v.type != ValueType::kArray)
    return ScalarJson(v);
  Json first = Json::array();
  for (uint64_t k = 0; k < std::min<uint64_t>(v.count, 5); ++k) {
    if (v.element == ValueType::kString)
      first.push_back(Shown(v.strings[k]));
    else if (v.element == ValueType::kF32 || v.element == ValueType::kF64)
      first.push_back(gguf::ArrayFloat(v, k));
    else if (!v.raw.empty())
      first.push_back(gguf::ArrayInt(v, k));
  }
  return Json{{"array_of", std::string(gguf::ValueTypeName(v.element))},
              {"length", v.count},
              {"first", first}};
}

} // namespace

Json GgufInfoJson(const gguf::GgufFile &file) {
  Json info;
  info["file"] = file.name();
  info["format"] = "gguf";
  info["version"] = file.version();
  info["file_bytes"] = file.bytes().size();
  info["alignment"] = file.alignment();
  info["data_offset"] = file.data_offset();
  Json metadata = Json::array();
  for (const auto &[key, value] : file.metadata())
    metadata.push_back({{"key", key},
                        {"type", value.TypeName()},
                        {"value", ValueJson(value)}});
  info["metadata"] = metadata;
  absl::StatusOr<ModelFile> model =
      LoadGgufModelFromBytes(file.bytes(), file.name());
  info["spec"] = model.ok() ? FormatModelSpec(model->spec)
                            : std::string(model.status().message());
  Json tensors = Json::array();
  for (const gguf::Tensor &t : file.tensors()) {
    const GgmlTypeInfo *type = GgmlTypeOf(t.ggml_type);
    tensors.push_back({{"name", t.name},
                       {"type", type ? type->name : "?"},
                       {"ne", t.ne},
                       {"offset", t.offset},
                       {"bytes", t.bytes.size()}});
  }
  info["tensors"] = tensors;
  return info;
}

std::string GgufInfoText(const gguf::GgufFile &file) {
  const Json info = GgufInfoJson(file);
  std::string out = fmt::format(
      "file: {}\nformat: GGUF v{}, {} bytes, alignment {}, data at {}\n",
      file.name(), file.version(), file.bytes().size(), file.alignment(),
      file.data_offset());
  out += fmt::format("metadata: {} keys\n", info["metadata"].size());
  size_t key_width = 44;
  for (const Json &kv : info["metadata"])
    key_width = std::max(
        key_width, EscapeControlBytes(kv["key"].get<std::string>()).size());
  for (const Json &kv : info["metadata"]) {
    const Json &v = kv["value"];
    std::string shown;
    if (v.is_object()) {
      std::vector<std::string> first;
      for (const Json &x : v["first"])
        first.push_back(x.is_string() ? x.get<std::string>() : x.dump());
      shown =
          fmt::format("[{}{}] ({} entries)", fmt::join(first, ", "),
                      v["length"].get<uint64_t>() > first.size() ? ", ..." : "",
                      v["length"].get<uint64_t>());
    } else {
      shown = v.is_string() ? v.get<std::string>() : v.dump();
    }
    // A file's strings are shown with their control bytes escaped: a
    // damaged file cannot break the table or drive the terminal.
    out +=
        fmt::format("  {:<{}} {:<16} {}\n",
                    EscapeControlBytes(kv["key"].get<std::string>()), key_width,
                    kv["type"].get<std::string>(), EscapeControlBytes(shown));
  }
  out += "spec (as imported): " + info["spec"].get<std::string>();
  if (out.back() != '\n')
    out += '\n';
  out += fmt::format("tensors: {}\n", info["tensors"].size());
  // The name column as wide as the longest name (the table stays aligned
  // on long names).
  size_t width = 4;
  for (const Json &t : info["tensors"])
    width = std::max(width,
                     EscapeControlBytes(t["name"].get<std::string>()).size());
  out += fmt::format("  {:<{}} {:<7} {:>18} {:>12} {:>12}\n", "name", width,
                     "type", "ne", "offset", "bytes");
  for (const Json &t : info["tensors"]) {
    std::vector<uint64_t> ne = t["ne"].get<std::vector<uint64_t>>();
    out += fmt::format("  {:<{}} {:<7} {:>18} {:>12} {:>12}\n",
                       EscapeControlBytes(t["name"].get<std::string>()), width,
                       t["type"].get<std::string>(),
                       fmt::format("{}", fmt::join(ne, " x ")),
                       t["offset"].get<uint64_t>(), t["bytes"].get<uint64_t>());
  }
  return out;
}

} // namespace gemma
