//===- Backends.h - The backends this build has -----------------*- C++ -*-===//

#ifndef RUNTIME_EXEC_BACKENDS_H
#define RUNTIME_EXEC_BACKENDS_H

#include "runtime/Backend.h"

#include <string>
#include <vector>

namespace gemma {

// The backend registry: every backend this build can create, in
// preference order (Backends.cpp is the one place that lists them).
const std::vector<BackendRegistration> &RegisteredBackends();

// Names of the backends this build can create, in preference order.
const std::vector<std::string> &BackendNames();

// The backends plans are compiled for ("cpu", "vulkan", "cuda"): every
// registered backend's plan target, once.
std::vector<std::string> PlanTargets();

// Creates backend `name` with `threads` host threads (0: one per core);
// fails with one line when this build or machine lacks it.
absl::StatusOr<std::unique_ptr<Backend>> CreateBackend(const std::string &name,
                                                       int threads);

// One line per device each backend of this build can use ("cpu: ...",
// "vulkan:0: llvmpipe ..."), or why it has none.
std::vector<std::string> DeviceLines();

} // namespace gemma

#endif // RUNTIME_EXEC_BACKENDS_H
