//===- Bench.h - gemma-exec --bench -----------------------------*- C++ -*-===//
//
// Prefill and decode speed of a plan beside its roofline: the bytes a
// decode step reads (the weights its program touches, then the KV cache)
// and the machine's own read bandwidth, measured in the same run.
//
//===----------------------------------------------------------------------===//

#ifndef TOOLS_GEMMA_EXEC_BENCH_H
#define TOOLS_GEMMA_EXEC_BENCH_H

#include "runtime/exec/PlanSession.h"

#include <cstdint>
#include <string>

namespace gemma {

struct BenchOptions {
  int prompt_len = 32; // prompt tokens (BOS + deterministic ids)
  int tokens = 32;     // greedy decode steps per iteration
  int warmup = 1;
  int iters = 3;
  int threads = 0; // what the session runs with (0: one per core)
  std::string json_path;
  uint64_t seed = 0; // the run's sampling seed, recorded (decode is greedy)
  // Per-kernel tables of the measured prefills and decode steps (stderr).
  bool profile = false;
};

// The CPU's model name from /proc/cpuinfo ("unknown CPU" without one).
std::string CpuName();

// Prints a report to stdout (and JSON to `json_path`); 0 on success, else
// prints one line and returns 1.
int RunBench(PlanSession &session, const std::string &plan_path,
             const BenchOptions &options);

} // namespace gemma

#endif // TOOLS_GEMMA_EXEC_BENCH_H
