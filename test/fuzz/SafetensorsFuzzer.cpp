//===- SafetensorsFuzzer.cpp - Fuzz target: .safetensors and config.json --===//
//
// Every input must either parse or be refused with a status, as a
// .safetensors file (every tensor's bytes then read end to end), as a
// config.json (text and vision parts) and as a preprocessor_config.json.
// Nothing may crash or read outside the input.
//
//===----------------------------------------------------------------------===//

#include "runtime/formats/hf/HfConfig.h"
#include "runtime/formats/hf/HfVision.h"
#include "runtime/formats/hf/SafetensorsFile.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace {

constexpr std::string_view kVisionConfig = R"({"model_type": "gemma3",
  "mm_tokens_per_image": 9, "vision_config": {"image_size": 42,
  "patch_size": 7, "hidden_size": 48, "intermediate_size": 96,
  "num_attention_heads": 4, "num_hidden_layers": 2}})";

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  absl::StatusOr<gemma::hf::SafetensorsFile> file =
      gemma::hf::SafetensorsFile::FromBytes({data, size}, "fuzz.safetensors");
  if (file.ok()) {
    volatile uint8_t sink = 0;
    for (const auto &[name, tensor] : file->tensors())
      for (uint8_t byte : tensor.bytes)
        sink = sink ^ byte;
  }
  const std::string_view text(reinterpret_cast<const char *>(data), size);
  (void)gemma::hf::ParseHfConfig(text, "fuzz/config.json");
  // As an image-text config.json, and as the preprocessor_config.json of a
  // valid one.
  (void)gemma::hf::ParseHfVision(text, "", 32, "fuzz/config.json");
  (void)gemma::hf::ParseHfVision(kVisionConfig, text, 32, "fuzz/config.json");
  return 0;
}
