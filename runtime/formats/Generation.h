//===- Generation.h - Gemma model generations ------------------*- C++ -*-===//

#ifndef RUNTIME_FORMATS_GENERATION_H
#define RUNTIME_FORMATS_GENERATION_H

#include <cstdint>
#include <string_view>

namespace gemma {

// The architecture family (docs/gemma-math.md section 1). Serialized: never
// renumber.
enum class Generation : uint32_t {
  kGemma1 = 1,
  kGemma2 = 2,
  kGemma3 = 3,
  kGemma4 = 4,
};

inline std::string_view GenerationName(Generation generation) {
  switch (generation) {
  case Generation::kGemma1:
    return "gemma1";
  case Generation::kGemma2:
    return "gemma2";
  case Generation::kGemma3:
    return "gemma3";
  case Generation::kGemma4:
    return "gemma4";
  }
  return "unknown";
}

} // namespace gemma

#endif // RUNTIME_FORMATS_GENERATION_H
