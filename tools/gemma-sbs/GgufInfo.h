//===- GgufInfo.h - What `gemma-sbs info` prints of a GGUF file -*- C++ -*-===//

#ifndef TOOLS_GEMMA_SBS_GGUFINFO_H
#define TOOLS_GEMMA_SBS_GGUFINFO_H

#include "runtime/formats/gguf/GgufFile.h"

#include <nlohmann/json.hpp>

#include <string>

namespace gemma {

// Header, every metadata key (arrays: type, length and the first entries),
// the spec as imported (or why it cannot be), and the tensor table: name,
// GGML type, shape (ne order), offset in the data section, bytes.
nlohmann::ordered_json GgufInfoJson(const gguf::GgufFile &file);
std::string GgufInfoText(const gguf::GgufFile &file);

} // namespace gemma

#endif // TOOLS_GEMMA_SBS_GGUFINFO_H
