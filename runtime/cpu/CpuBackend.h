//===- CpuBackend.h - The CPU behind the Backend interface ------*- C++ -*-===//

#ifndef RUNTIME_CPU_CPUBACKEND_H
#define RUNTIME_CPU_CPUBACKEND_H

#include "runtime/Backend.h"

namespace gemma::cpu {

// Host caches, Highway-dispatched kernels and one persistent thread pool
// (`threads` workers; 0: one per core).
std::unique_ptr<Backend> CreateCpuBackend(int threads);

// The CPU backend's entry in the backend registry.
BackendRegistration CpuRegistration();

} // namespace gemma::cpu

#endif // RUNTIME_CPU_CPUBACKEND_H
