//===- HubModel.h - -hf ORG/NAME[:QUANT]: a model by its repository -*- C++
//-*-===//
//
// llama.cpp's users run a model by naming its Hugging Face repository
// (`llama-cli -hf ggml-org/gemma-3-1b-it-GGUF`). gemma-exec and gemma-serve
// take the same flags and hand them to the gemma-fetch beside them, which
// downloads into (or finds in) Hugging Face's shared cache and prints the
// local path: the one tool that uses the network stays the only one.
//
//===----------------------------------------------------------------------===//

#ifndef TOOLS_COMMON_HUBMODEL_H
#define TOOLS_COMMON_HUBMODEL_H

#include "absl/status/statusor.h"
#include "llvm/Support/CommandLine.h"

#include <string>

namespace gemma {

// The local path of `repo` (ORG/NAME[:QUANT]) and, when given, its `file`,
// from `gemma-fetch --hf-repo REPO [--hf-file FILE]` (its progress and
// errors go to stderr as they come). `tool` names the caller in errors.
// When `cancel_fd` (e.g. a signal pipe) becomes readable, gemma-fetch is
// stopped (its partial download stays, to be resumed) and the result is
// Cancelled; nothing is read from `cancel_fd`.
absl::StatusOr<std::string> FetchHubModel(const std::string &repo,
                                          const std::string &file,
                                          const std::string &tool,
                                          int cancel_fd = -1);

// The flags that name a model by its repository, llama.cpp's spellings:
// --hf-repo (-hf, -hfr) and --hf-file (-hff), in the tool's `category`
// with its own descriptions.
class HubModelFlags {
public:
  HubModelFlags(llvm::cl::OptionCategory &category, const char *repo_desc,
                const char *file_desc);

  bool given() const { return !repo_.empty(); }
  const std::string &repo() const { return repo_.getValue(); }

  // The one-line error, if any, of these flags beside the tool's own model
  // argument `model` (empty when not given): both at once, or --hf-file
  // without --hf-repo.
  absl::Status Check(const std::string &model) const;

  // FetchHubModel for these flags.
  absl::StatusOr<std::string> Fetch(const std::string &tool,
                                    int cancel_fd = -1) const {
    return FetchHubModel(repo_, file_, tool, cancel_fd);
  }

private:
  llvm::cl::opt<std::string> repo_;
  llvm::cl::alias hf_, hfr_;
  llvm::cl::opt<std::string> file_;
  llvm::cl::alias hff_;
};

} // namespace gemma

#endif // TOOLS_COMMON_HUBMODEL_H
