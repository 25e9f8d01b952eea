//===- HfInfo.cpp - What `gemma-sbs info` prints of a checkpoint ----------===//

#include "tools/gemma-sbs/HfInfo.h"

#include "runtime/formats/hf/HfCheckpoint.h"
#include "runtime/formats/hf/SafetensorsFile.h"

#include "absl/status/status.h"
#include <fmt/format.h>

#include <algorithm>
#include <fmt/ranges.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

namespace gemma {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

const char *DtypeName(StoredType type) {
  switch (type) {
  case StoredType::kF32:
    return "F32";
  case StoredType::kBF16:
    return "BF16";
  case StoredType::kF16:
    return "F16";
  default:
    return "?";
  }
}

} // namespace

absl::StatusOr<Json> HfInfoJson(const std::string &path) {
  const fs::path dir =
      fs::is_directory(path) ? fs::path(path) : fs::path(path).parent_path();
  std::ifstream in(dir / "config.json");
  if (!in)
    return absl::NotFoundError(
        fmt::format("{}: no config.json: not a Hugging Face checkpoint "
                    "directory",
                    dir.string()));
  const std::string text{std::istreambuf_iterator<char>(in),
                         std::istreambuf_iterator<char>()};
  Json info;
  info["directory"] = dir.string();
  info["format"] = "hf";
  Json config = Json::parse(text, nullptr, false);
  info["config"] = config.is_discarded() ? Json("(not valid JSON)") : config;

  // The shards: the index's, else model.safetensors.
  std::set<std::string> shards;
  std::ifstream index(dir / "model.safetensors.index.json");
  if (index) {
    Json map = Json::parse(index, nullptr, false);
    if (!map.is_discarded() && map.contains("weight_map") &&
        map["weight_map"].is_object())
      for (const auto &[tensor, file] : map["weight_map"].items())
        if (file.is_string())
          shards.insert(file.get<std::string>());
  } else {
    shards.insert("model.safetensors");
  }
  Json shard_list = Json::array(), tensors = Json::array();
  for (const std::string &shard : shards) {
    absl::StatusOr<hf::SafetensorsFile> file =
        hf::SafetensorsFile::Open((dir / shard).string());
    if (!file.ok())
      return file.status();
    shard_list.push_back({{"file", shard},
                          {"bytes", file->size()},
                          {"tensors", file->tensors().size()}});
    for (const auto &[name, t] : file->tensors())
      tensors.push_back({{"name", name},
                         {"dtype", DtypeName(t.type)},
                         {"shape", t.shape},
                         {"shard", shard},
                         {"bytes", t.bytes.size()}});
  }
  info["shards"] = shard_list;
  absl::StatusOr<ModelFile> model = LoadHfCheckpoint(dir.string());
  info["spec"] = model.ok() ? FormatModelSpec(model->spec)
                            : std::string(model.status().message());
  info["tokenizer"] = fs::exists(dir / "tokenizer.json")
                          ? Json("tokenizer.json")
                          : Json(nullptr);
  info["tensors"] = tensors;
  return info;
}

std::string HfInfoText(const Json &info) {
  std::string out =
      fmt::format("directory: {}\nformat: Hugging Face checkpoint, {} "
                  "shard(s)\n",
                  info["directory"].get<std::string>(), info["shards"].size());
  for (const Json &s : info["shards"])
    out += fmt::format("  {} ({} bytes, {} tensors)\n",
                       s["file"].get<std::string>(), s["bytes"].get<uint64_t>(),
                       s["tensors"].get<uint64_t>());
  out += "config.json:\n";
  if (info["config"].is_object()) {
    for (const auto &[key, value] : info["config"].items()) {
      std::string shown = value.dump();
      if (shown.size() > 100)
        shown =
            shown.substr(0, 100) + fmt::format("... ({} bytes)", shown.size());
      out += fmt::format("  {}: {}\n", key, shown);
    }
  } else {
    out += "  " + info["config"].get<std::string>() + "\n";
  }
  out += "spec (as imported): " + info["spec"].get<std::string>();
  if (out.back() != '\n')
    out += '\n';
  out += fmt::format("tokenizer: {}\n", info["tokenizer"].is_null()
                                            ? std::string("none")
                                            : info["tokenizer"].dump());
  out += fmt::format("tensors: {}\n", info["tensors"].size());
  // The name column as wide as the longest name, so the table stays aligned.
  size_t width = 4;
  for (const Json &t : info["tensors"])
    width = std::max(width, t["name"].get<std::string>().size());
  out += fmt::format("  {:<{}} {:<5} {:>16} {:>10}\n", "name", width, "dtype",
                     "shape", "bytes");
  for (const Json &t : info["tensors"]) {
    std::vector<uint64_t> shape = t["shape"].get<std::vector<uint64_t>>();
    out += fmt::format(
        "  {:<{}} {:<5} {:>16} {:>10}\n", t["name"].get<std::string>(), width,
        t["dtype"].get<std::string>(),
        fmt::format("{}", fmt::join(shape, " x ")), t["bytes"].get<uint64_t>());
  }
  return out;
}

} // namespace gemma
