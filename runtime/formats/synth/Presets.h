//===- Presets.h - Model shapes of released and tiny Gemmas ----*- C++ -*-===//
//
// Every released text size of docs/gemma-math.md section 1, with exactly its
// shapes, plus tiny presets per generation for tests (a few layers, small
// width, a sliding window much smaller than test prompts, GQA, and for Gemma 4
// both attention geometries with K=V).
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_FORMATS_SYNTH_PRESETS_H
#define RUNTIME_FORMATS_SYNTH_PRESETS_H

#include "runtime/formats/ModelSpec.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gemma {

// Names of all presets, released sizes first.
std::vector<std::string> PresetNames();

// The spec of preset `name`, or nullopt for an unknown name.
std::optional<ModelSpec> PresetSpec(std::string_view name);

} // namespace gemma

#endif // RUNTIME_FORMATS_SYNTH_PRESETS_H
