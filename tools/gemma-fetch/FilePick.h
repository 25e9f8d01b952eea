//===- FilePick.h - Which files of a repository a user means ----*- C++ -*-===//
//
// `--hf-repo ORG/NAME[:QUANT]` names a repository, not a file. A GGUF repo
// holds one file per quantization (and often a vision projector,
// mmproj-*.gguf, which is never the model); a checkpoint repo holds a
// config, a tokenizer and safetensors shards. These rules choose, from
// the repository's file list alone, what to fetch.
//
//===----------------------------------------------------------------------===//

#ifndef TOOLS_GEMMA_FETCH_FILEPICK_H
#define TOOLS_GEMMA_FETCH_FILEPICK_H

#include "absl/status/statusor.h"

#include <string>
#include <vector>

namespace gemma::fetch {

struct Pick {
  std::vector<std::string> files; // to fetch, in the repository's order
  // What the user runs: the file, a split GGUF's first part, or (empty)
  // the snapshot directory of a checkpoint.
  std::string main_file;
};

// The quantization a GGUF file name carries ("Q4_K_M", "BF16", "IQ4_XS"),
// upper-case, or "" when none is recognized.
std::string QuantOf(const std::string &path);

// The quantizations of the GGUF models among `files` (vision projectors
// left out), sorted, each once.
std::vector<std::string> ModelQuants(const std::vector<std::string> &files);

// Chooses from `files` (paths in the repository):
// - `file` non-empty: that file (all parts of it when it is one part of a
//   split GGUF, NAME-0000K-of-0000N.gguf);
// - else, among the GGUFs that are not vision projectors, the one whose
//   name carries `quant` (case-insensitive, as a whole word: Q4_K does not
//   match Q4_K_M); with no quant Q4_K_M, then Q8_0, then the only GGUF;
//   a split GGUF brings all its parts;
// - else, with no GGUF, a checkpoint: config, tokenizer and generation
//   files that exist and every *.safetensors and its index.
// `repo` only names the repository in errors, which list the quants or
// files there are.
absl::StatusOr<Pick> PickFiles(const std::vector<std::string> &files,
                               const std::string &repo,
                               const std::string &quant,
                               const std::string &file);

} // namespace gemma::fetch

#endif // TOOLS_GEMMA_FETCH_FILEPICK_H
