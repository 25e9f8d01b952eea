//===- SafetensorsFuzzer.cpp - Fuzz target: .safetensors and config.json --===//
//
// Every input must either parse or be refused with a status, as a
// .safetensors file (every tensor's bytes then read end to end) and as a
// config.json. Nothing may crash or read outside the input.
//
//===----------------------------------------------------------------------===//

#include "runtime/formats/hf/HfConfig.h"
#include "runtime/formats/hf/SafetensorsFile.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  absl::StatusOr<gemma::hf::SafetensorsFile> file =
      gemma::hf::SafetensorsFile::FromBytes({data, size}, "fuzz.safetensors");
  if (file.ok()) {
    volatile uint8_t sink = 0;
    for (const auto &[name, tensor] : file->tensors())
      for (uint8_t byte : tensor.bytes)
        sink = sink ^ byte;
  }
  (void)gemma::hf::ParseHfConfig(
      std::string_view(reinterpret_cast<const char *>(data), size),
      "fuzz/config.json");
  return 0;
}
