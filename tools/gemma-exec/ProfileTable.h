//===- ProfileTable.h - Per-kernel time tables for gemma-exec ---*- C++ -*-===//
//
// `--profile` prints where a backend's time went per kernel; with --bench
// it prints the prefills and the decode steps of the measured iterations
// apart, as each has its own bottleneck (a GEMM over the prompt, a matvec
// reading every weight).
//
//===----------------------------------------------------------------------===//

#ifndef TOOLS_GEMMA_EXEC_PROFILETABLE_H
#define TOOLS_GEMMA_EXEC_PROFILETABLE_H

#include "runtime/Backend.h"

#include <string>
#include <vector>

namespace gemma {

// `more` added into `totals`, kernel by kernel (by name), busiest first.
void AddProfiles(std::vector<KernelProfile> &totals,
                 const std::vector<KernelProfile> &more);

// The table on stderr under "gemma-exec: profile (WHAT)": calls, ms, share
// of the total and stored weight bytes read per second.
void PrintProfile(const std::string &what,
                  const std::vector<KernelProfile> &kernels);

} // namespace gemma

#endif // TOOLS_GEMMA_EXEC_PROFILETABLE_H
