//===- SbsFuzzer.cpp - Fuzz target: the .sbs container, config and toc ----===//
//
// Every input must either load or be refused with a status; nothing may
// crash, hang, or read outside the input (run under ASan).
//
//===----------------------------------------------------------------------===//

#include "runtime/formats/SbsModel.h"
#include "runtime/formats/sbs/SbsFile.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  absl::StatusOr<gemma::sbs::SbsFile> file = gemma::sbs::SbsFile::FromBytes(
      {data, size}, "fuzz.sbs", gemma::ResolveLegacyModel);
  if (!file.ok())
    return 0;
  // Touch everything the loader hands out.
  volatile uint32_t sink = 0;
  for (const gemma::sbs::TensorRecord &record : file->tensors()) {
    std::span<const uint8_t> bytes = file->TensorBytes(record);
    sink = sink + bytes.front() + bytes.back() + record.rows;
  }
  if (file->tokenizer())
    sink = sink + file->tokenizer()->size();
  absl::StatusOr<gemma::ModelSpec> spec =
      gemma::SpecFromSbsConfig(file->config());
  if (spec.ok())
    sink = sink + spec->num_layers();
  return 0;
}
