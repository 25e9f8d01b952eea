//===- CpuProgram.h - A gemma function compiled for the CPU -----*- C++ -*-===//
//
// The CPU backend's form of one bucket function: an ordered list of kernel
// calls with their static parameters, over one arena whose offsets come
// from liveness (a value's slot is reused once its last reader has run).
// KV caches are the caller's buffers and are updated in place: a kv_write
// result takes its cache operand's storage, which requires the cache to
// have no later reader (true of the builder's modules, checked here).
// The `.plan` file will serialize exactly this; today it is compiled from
// the module in memory.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_CPU_CPUPROGRAM_H
#define RUNTIME_CPU_CPUPROGRAM_H

#include "kernels/cpu/Kernels.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include "absl/status/statusor.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace gemma::cpu {

class CpuProgram {
public:
  using WeightLookup =
      std::function<absl::StatusOr<WeightView>(const std::string &symbol)>;

  // Fails with one line naming an op the CPU backend cannot run, or a cache
  // that is read after it is written.
  static absl::StatusOr<std::unique_ptr<CpuProgram>>
  Compile(mlir::func::FuncOp func, const WeightLookup &weights);

  // `args[i]` points at argument i: const int32_t[] for ids and positions,
  // float[] for caches (updated in place). Results that are not caches
  // (the logits) are copied into `results` in result order.
  absl::Status Run(ThreadPool &pool, const std::vector<void *> &args,
                   std::vector<std::vector<float>> *results);

  int64_t arena_floats() const { return arena_floats_; }
  int64_t steps() const { return int64_t(steps_.size()); }

  // What a step sees at run time (CpuProgram.cpp).
  struct Frame;

private:
  using Step = std::function<absl::Status(Frame &, ThreadPool &)>;
  friend class ProgramBuilder;

  std::vector<Step> steps_;
  int64_t arena_floats_ = 0;
  std::vector<float> arena_;
  // Per result: the argument it aliases (caches), or -1 with an arena copy.
  struct Output {
    int arg = -1;
    int64_t offset = 0;
    int64_t elements = 0;
  };
  std::vector<Output> outputs_;
};

} // namespace gemma::cpu

#endif // RUNTIME_CPU_CPUPROGRAM_H
