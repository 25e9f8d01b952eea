//===- CpuExecutor.h - Plan programs on the CPU kernels ---------*- C++ -*-===//
//
// Binds a validated plan::Program to the CPU kernels: weights are resolved
// by name and checked against each call's shapes once, then every run is a
// walk over prepared kernel calls. Nothing of MLIR.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_CPU_CPUEXECUTOR_H
#define RUNTIME_CPU_CPUEXECUTOR_H

#include "kernels/cpu/Kernels.h"
#include "runtime/plan/PlanProgram.h"

#include "absl/status/statusor.h"

#include <array>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace gemma::cpu {

class CpuExecutor {
public:
  using WeightLookup =
      std::function<absl::StatusOr<WeightView>(const std::string &name)>;

  // Validates `program` (plan::ValidateProgram) and its weights.
  static absl::StatusOr<std::unique_ptr<CpuExecutor>>
  Create(const plan::Program &program, const WeightLookup &weights);

  // `args[i]` points at argument i (its element count as the program says):
  // const int32_t[] for ids and positions, float[] for caches, which are
  // updated in place. Results that are not arguments are copied into
  // `results`.
  // Per-kernel totals, indexed by plan::Kernel.
  struct Profile {
    std::array<uint64_t, plan::kKernelCount> calls{};
    std::array<double, plan::kKernelCount> seconds{};
    std::array<uint64_t, plan::kKernelCount> weight_bytes{};
  };

  // With `profile`, each call is timed into it.
  absl::Status Run(ThreadPool &pool, const std::vector<void *> &args,
                   std::vector<std::vector<float>> *results,
                   Profile *profile = nullptr);

  int64_t arena_elements() const { return int64_t(arena_.size()); }

  // What a prepared call sees at run time.
  struct Frame {
    float *arena;
    const std::vector<void *> *args;
  };
  using Step = std::function<absl::Status(Frame &, ThreadPool &)>;

private:
  CpuExecutor() = default;

  std::vector<Step> steps_;
  std::vector<plan::Kernel> kernels_;
  // Per step: the kernel of its call, and the calls and weight bytes it
  // starts (a call may take several steps; joined matmuls start several).
  std::vector<uint64_t> weight_bytes_;
  std::vector<int> calls_;
  std::vector<float> arena_;
  std::vector<plan::Buffer> outputs_;
};

} // namespace gemma::cpu

#endif // RUNTIME_CPU_CPUEXECUTOR_H
