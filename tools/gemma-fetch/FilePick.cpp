//===- FilePick.cpp - Which files of a repository a user means ------------===//

#include "tools/gemma-fetch/FilePick.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <regex>
#include <set>

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

const std::regex &SplitPattern() {
  static const std::regex pattern("^(.*)-([0-9]{5})-of-([0-9]{5})\\.gguf$",
                                  std::regex::icase);
  return pattern;
}

// libstdc++'s regex matcher recurses per character: a name from a server
// longer than any real file name's is not matched at all (one of 30 KB
// overflows an 8 MB stack).
constexpr size_t kMaxMatched = 512;

bool MatchSplit(const std::string &path, std::smatch &match) {
  return path.size() <= kMaxMatched &&
         std::regex_match(path, match, SplitPattern());
}

// Every part of the split GGUF `path` belongs to (itself alone when it is
// not one), in part order; the parts must all be in `files`.
absl::StatusOr<std::vector<std::string>>
SplitParts(const std::string &path, const std::vector<std::string> &files,
           const std::string &repo) {
  std::smatch match;
  if (!MatchSplit(path, match))
    return std::vector<std::string>{path};
  const int count = std::stoi(match[3].str()),
            index = std::stoi(match[2].str());
  if (count < 1 || index < 1 || index > count)
    return absl::InvalidArgumentError(fmt::format(
        "{} in {} is not a valid split GGUF part name", path, repo));
  std::vector<std::string> parts;
  for (int k = 1; k <= count; ++k) {
    const std::string part =
        fmt::format("{}-{:05d}-of-{}.gguf", match[1].str(), k, match[3].str());
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
    std::smatch match;
    if (MatchSplit(path, match) && std::stoi(match[2].str()) != 1)
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
  static const std::regex pattern(
      "(?:^|[-._])((?:I?Q[0-9]+(?:_[A-Z0-9]+)*)|BF16|F16|F32|FP16|FP32)"
      "(?:[-._]|$)",
      std::regex::icase);
  std::string stem = Basename(path);
  if (stem.size() > kMaxMatched)
    return "";
  if (std::smatch match; MatchSplit(stem, match))
    stem = match[1].str();
  else if (EndsWithGguf(stem))
    stem.resize(stem.size() - 5);
  std::string quant;
  for (std::sregex_iterator it(stem.begin(), stem.end(), pattern), end;
       it != end; ++it)
    quant = Upper((*it)[1].str()); // the last one: names end in the quant
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
