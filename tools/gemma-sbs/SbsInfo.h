//===- SbsInfo.h - Describe a .sbs for people and machines -----*- C++ -*-===//

#ifndef TOOLS_GEMMA_SBS_SBSINFO_H
#define TOOLS_GEMMA_SBS_SBSINFO_H

#include "runtime/formats/sbs/SbsFile.h"

#include <nlohmann/json.hpp>

#include <string>

namespace gemma {

// Container layout, every config field, the spec as this compiler imports
// it (when the config maps to one) and the tensor table.
nlohmann::ordered_json SbsInfoJson(const sbs::SbsFile &file);

// The same, as stable text.
std::string SbsInfoText(const sbs::SbsFile &file);

} // namespace gemma

#endif // TOOLS_GEMMA_SBS_SBSINFO_H
