//===- HfConfig.h - config.json of a Hugging Face checkpoint ----*- C++ -*-===//
//
// The text model's hyperparameters from a transformers config.json, for
// model_type gemma, gemma2, gemma3_text, gemma3 (its text_config), and
// gemma4_text / gemma4 (text_config). Old and new spellings are both read:
// `sliding_window_pattern` or `layer_types`, `rope_theta` +
// `rope_local_base_freq` + `rope_scaling` or `rope_parameters` per layer
// type. A field this importer does not know is refused by name: it may
// change the math, and silently ignoring it would give wrong output.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_FORMATS_HF_HFCONFIG_H
#define RUNTIME_FORMATS_HF_HFCONFIG_H

#include "runtime/formats/ModelSpec.h"

#include "absl/status/statusor.h"

#include <string>
#include <string_view>

namespace gemma::hf {

// `name` prefixes messages (the config's path). The spec's vocabulary and
// special ids come from the config; ValidateModelSpec is applied.
absl::StatusOr<ModelSpec> ParseHfConfig(std::string_view json_text,
                                        const std::string &name);

} // namespace gemma::hf

#endif // RUNTIME_FORMATS_HF_HFCONFIG_H
