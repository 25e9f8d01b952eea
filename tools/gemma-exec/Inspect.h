//===- Inspect.h - gemma-exec's look-inside flags ---------------*- C++ -*-===//
//
//   --print-config   the model spec as the plan was compiled from it (every
//                    layer's type, window and RoPE) and the plan's settings
//   --print-backend  the backend, ISA target, threads, backends and devices
//                    this build finds, and the cache directory
//
//===----------------------------------------------------------------------===//

#ifndef TOOLS_GEMMA_EXEC_INSPECT_H
#define TOOLS_GEMMA_EXEC_INSPECT_H

#include "runtime/exec/PlanSession.h"

#include <string>

namespace gemma {

std::string PlanConfigText(const PlanSession &session);
std::string BackendText(const PlanSession &session);

} // namespace gemma

#endif // TOOLS_GEMMA_EXEC_INSPECT_H
