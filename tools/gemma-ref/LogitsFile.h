//===- LogitsFile.h - Per-step logits on disk -------------------*- C++ -*-===//
//
// `.npy` (NumPy format 1.0, little-endian f32, shape [steps, vocab]; the
// header is rewritten with the step count when the file is finished) or,
// for any other name, the raw f32 values step after step.
//
//===----------------------------------------------------------------------===//

#ifndef TOOLS_GEMMA_REF_LOGITSFILE_H
#define TOOLS_GEMMA_REF_LOGITSFILE_H

#include "runtime/formats/OutputFile.h"

#include "absl/status/statusor.h"

#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string>

namespace gemma {

class LogitsFile {
public:
  static absl::StatusOr<std::unique_ptr<LogitsFile>>
  Create(const std::string &path, uint32_t vocab);
  ~LogitsFile();

  absl::Status Append(std::span<const float> logits);
  absl::Status Finish();

private:
  LogitsFile(std::string path, OutputFile output, std::FILE *file,
             uint32_t vocab, bool npy)
      : path_(std::move(path)), output_(std::move(output)), file_(file),
        vocab_(vocab), npy_(npy) {}
  absl::Status WriteHeader();

  std::string path_;
  // Written whole or not at all: the file appears when Finish succeeds.
  OutputFile output_;
  std::FILE *file_;
  uint32_t vocab_;
  bool npy_;
  uint64_t steps_ = 0;
};

} // namespace gemma

#endif // TOOLS_GEMMA_REF_LOGITSFILE_H
