//===- FilePick.cpp - Which files of a repository a user means ------------===//

#include "tools/gemma-fetch/FilePick.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <optional>
#include <set>
#include <string_view>

namespace gemma::fetch {
namespace {

std::string Upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return char(std::toupper(c)); });
  return text;
}

bool EndsWithGguf(const std::string &path) {
  return path.size() > 5 && Upper(path.substr(path.size() - 5)) == ".GGUF";
}

std::string Basename(const std::string &path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Vision projectors ship beside the language model in GGUF repos.
bool IsProjector(const std::string &path) {
  return Upper(Basename(path)).starts_with("MMPROJ");
}

bool AllDigits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(),
                     [](unsigned char c) { return std::isdigit(c); });
}

// NAME-00001-of-00003.gguf (any case), as its parts: what comes before the
// index, the index, "-of-" as written, the count as written, ".gguf" as
// written. (Parsed by hand: libstdc++'s <regex> recurses per character,
// and GCC 12 warns inside it when building with the sanitizers.)
struct SplitName {
  std::string base, of, count, extension;
  int index = 0;
};

std::optional<SplitName> ParseSplit(const std::string &path) {
  constexpr size_t kTail = 15; // -NNNNN-of-MMMMM
  if (!EndsWithGguf(path) || path.size() < kTail + 5)
    return std::nullopt;
  const std::string_view stem(path.data(), path.size() - 5);
  const std::string_view tail = stem.substr(stem.size() - kTail);
  if (tail[0] != '-' || !AllDigits(tail.substr(1, 5)) ||
      Upper(std::string(tail.substr(6, 4))) != "-OF-" ||
      !AllDigits(tail.substr(10, 5)))
    return std::nullopt;
  SplitName name;
  name.base = std::string(stem.substr(0, stem.size() - kTail));
  name.index = std::stoi(std::string(tail.substr(1, 5)));
  name.of = std::string(tail.substr(6, 4));
  name.count = std::string(tail.substr(10, 5));
  name.extension = path.substr(path.size() - 5);
  return name;
}

// Every part of the split GGUF `path` belongs to (itself alone when it is
// not one), in part order; the parts must all be in `files`.
absl::StatusOr<std::vector<std::string>>
SplitParts(const std::string &path, const std::vector<std::string> &files,
           const std::string &repo) {
  const std::optional<SplitName> split = ParseSplit(path);
  if (!split)
    return std::vector<std::string>{path};
  const int count = std::stoi(split->count), index = split->index;
  if (count < 1 || index < 1 || index > count)
    return absl::InvalidArgumentError(fmt::format(
        "{} in {} is not a valid split GGUF part name", path, repo));
  std::vector<std::string> parts;
  for (int k = 1; k <= count; ++k) {
    const std::string part =
        fmt::format("{}-{:05d}{}{}{}", split->base, k, split->of, split->count,
                    split->extension);
    if (std::find(files.begin(), files.end(), part) == files.end())
      return absl::NotFoundError(fmt::format(
          "{} is part of a split GGUF whose part {} is missing from {}", path,
          part, repo));
    parts.push_back(part);
  }
  return parts;
}

bool CarriesQuant(const std::string &path, const std::string &quant) {
  const std::string name = Upper(Basename(path)), want = Upper(quant);
  for (size_t at = name.find(want); at != std::string::npos;
       at = name.find(want, at + 1)) {
    const auto word = [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    };
    const bool starts = at == 0 || !word(name[at - 1]);
    const size_t end = at + want.size();
    const bool ends = end == name.size() || !word(name[end]);
    if (starts && ends)
      return true;
  }
  return false;
}

// The distinct files (a split set counted once, by its first part) among
// `ggufs` carrying `quant` (every one when it is empty).
std::vector<std::string> WithQuant(const std::vector<std::string> &ggufs,
                                   const std::string &quant) {
  std::vector<std::string> found;
  for (const std::string &path : ggufs) {
    if (const std::optional<SplitName> split = ParseSplit(path);
        split && split->index != 1)
      continue;
    if (quant.empty() || CarriesQuant(path, quant))
      found.push_back(path);
  }
  return found;
}

std::string QuantList(const std::vector<std::string> &ggufs) {
  const std::vector<std::string> quants = ModelQuants(ggufs);
  if (quants.empty())
    return fmt::format("its GGUF files are {}", fmt::join(ggufs, ", "));
  return fmt::format("it has {}", fmt::join(quants, ", "));
}

absl::StatusOr<Pick> PickGguf(const std::vector<std::string> &files,
                              const std::vector<std::string> &ggufs,
                              const std::string &repo,
                              const std::string &quant) {
  std::vector<std::string> found;
  if (!quant.empty()) {
    found = WithQuant(ggufs, quant);
    if (found.empty())
      return absl::NotFoundError(
          fmt::format("no GGUF in {} carries the quantization {}: {}", repo,
                      quant, QuantList(ggufs)));
  } else {
    for (const char *preferred : {"Q4_K_M", "Q8_0"})
      if (found = WithQuant(ggufs, preferred); !found.empty())
        break;
    if (found.empty())
      found = WithQuant(ggufs, ""); // every model (first parts only)
    if (found.size() > 1)
      return absl::InvalidArgumentError(fmt::format(
          "{} holds several GGUF models and neither Q4_K_M nor Q8_0: name a "
          "quantization (--hf-repo {}:QUANT); {}",
          repo, repo, QuantList(ggufs)));
  }
  // (Only later parts of split GGUFs, their first part missing: the
  // fuzzer found this empty choice.)
  if (found.empty())
    return absl::NotFoundError(fmt::format("{} holds no whole GGUF model: {}",
                                           repo, QuantList(ggufs)));
  if (found.size() > 1)
    return absl::InvalidArgumentError(fmt::format(
        "{} matches several files in {}: {}; name one with --hf-file",
        quant.empty() ? "the default quantization" : quant, repo,
        fmt::join(found, ", ")));
  absl::StatusOr<std::vector<std::string>> parts =
      SplitParts(found.front(), files, repo);
  if (!parts.ok())
    return parts.status();
  return Pick{*parts, parts->front()};
}

absl::StatusOr<Pick> PickCheckpoint(const std::vector<std::string> &files,
                                    const std::string &repo) {
  // What the checkpoint loader and the chat template read (Gemma 3 repos
  // keep the template in chat_template.jinja, older ones in
  // tokenizer_config.json; tokenizer.model is the SentencePiece original).
  static const std::set<std::string> kSideFiles = {"config.json",
                                                   "tokenizer.json",
                                                   "tokenizer_config.json",
                                                   "generation_config.json",
                                                   "preprocessor_config.json",
                                                   "special_tokens_map.json",
                                                   "tokenizer.model",
                                                   "chat_template.jinja",
                                                   "chat_template.json"};
  Pick pick;
  bool weights = false;
  for (const std::string &path : files) {
    const std::string lower = [&] {
      std::string text = path;
      std::transform(text.begin(), text.end(), text.begin(),
                     [](unsigned char c) { return char(std::tolower(c)); });
      return text;
    }();
    const bool top = path.find('/') == std::string::npos;
    const bool shard = top && lower.ends_with(".safetensors");
    if (shard || (top && lower.ends_with(".safetensors.index.json")) ||
        (top && kSideFiles.count(path))) {
      pick.files.push_back(path);
      weights = weights || shard;
    }
  }
  if (!weights)
    return absl::NotFoundError(fmt::format(
        "{} has neither a GGUF file nor safetensors weights at its top level",
        repo));
  return pick;
}

} // namespace

std::string QuantOf(const std::string &path) {
  std::string stem = Basename(path);
  if (const std::optional<SplitName> split = ParseSplit(stem))
    stem = split->base;
  else if (EndsWithGguf(stem))
    stem.resize(stem.size() - 5);
  stem = Upper(stem);
  // The last word (after -, . or _, or at the start) that reads as a
  // quantization: I?Q<digits> with _<letters or digits> groups, or a float
  // type; a word ends at -, ., _ or the end. Names end in their quant.
  const auto delimiter = [&](size_t at) {
    return at == stem.size() || stem[at] == '-' || stem[at] == '.' ||
           stem[at] == '_';
  };
  std::string quant;
  for (size_t p = 0; p < stem.size(); ++p) {
    if (p > 0 && !delimiter(p - 1))
      continue;
    size_t end = std::string::npos;
    for (const char *type : {"BF16", "FP16", "FP32", "F16", "F32"})
      if (std::string_view(stem).substr(p).starts_with(type) &&
          delimiter(p + std::strlen(type))) {
        end = p + std::strlen(type);
        break;
      }
    if (end == std::string::npos) {
      size_t at = p + (stem[p] == 'I' ? 1 : 0);
      if (at < stem.size() && stem[at] == 'Q' && at + 1 < stem.size() &&
          std::isdigit(static_cast<unsigned char>(stem[at + 1]))) {
        at += 1;
        while (at < stem.size() &&
               std::isdigit(static_cast<unsigned char>(stem[at])))
          ++at;
        if (delimiter(at))
          end = at;
        // Groups of _ and letters or digits, the longest that ends a word.
        while (at + 1 < stem.size() && stem[at] == '_' &&
               std::isalnum(static_cast<unsigned char>(stem[at + 1]))) {
          ++at;
          while (at < stem.size() &&
                 std::isalnum(static_cast<unsigned char>(stem[at])))
            ++at;
          if (delimiter(at))
            end = at;
        }
      }
    }
    if (end != std::string::npos)
      quant = stem.substr(p, end - p);
  }
  return quant;
}

std::vector<std::string> ModelQuants(const std::vector<std::string> &files) {
  std::set<std::string> quants;
  for (const std::string &path : files)
    if (EndsWithGguf(path) && !IsProjector(path))
      if (std::string quant = QuantOf(path); !quant.empty())
        quants.insert(quant);
  return {quants.begin(), quants.end()};
}

absl::StatusOr<Pick> PickFiles(const std::vector<std::string> &files,
                               const std::string &repo,
                               const std::string &quant,
                               const std::string &file) {
  if (!file.empty()) {
    if (std::find(files.begin(), files.end(), file) == files.end())
      return absl::NotFoundError(fmt::format("{} has no file {}", repo, file));
    absl::StatusOr<std::vector<std::string>> parts =
        SplitParts(file, files, repo);
    if (!parts.ok())
      return parts.status();
    return Pick{*parts, parts->front()};
  }
  std::vector<std::string> ggufs;
  for (const std::string &path : files)
    if (EndsWithGguf(path) && !IsProjector(path))
      ggufs.push_back(path);
  if (!ggufs.empty())
    return PickGguf(files, ggufs, repo, quant);
  if (!quant.empty())
    return absl::NotFoundError(fmt::format(
        "{} holds no GGUF file, so no quantization {} (without :QUANT it "
        "fetches the safetensors checkpoint)",
        repo, quant));
  return PickCheckpoint(files, repo);
}

} // namespace gemma::fetch
