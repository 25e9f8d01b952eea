//===- CpuModel.h - A model on the CPU backend ------------------*- C++ -*-===//
//
// Builds a model's gemma module, runs the chosen fusions, lowers each bucket
// function to a plan program and binds it to the CPU kernels over the weight
// file's tensors (read in place). Prefill runs in chunks of the prefill
// buckets; decode runs B sequences at their own positions. Caches are the
// caller's, one K and one V buffer per layer, [B, slots, kv_heads, head_dim]
// each. A test and benchmark helper: it compiles, so it lives in compiler/,
// which may use the runtime (the runtime never uses the compiler).
//
//===----------------------------------------------------------------------===//

#ifndef COMPILER_PLAN_CPUMODEL_H
#define COMPILER_PLAN_CPUMODEL_H

#include "compiler/builder/CacheLayout.h"
#include "runtime/cpu/CpuExecutor.h"
#include "runtime/formats/ModelWeights.h"
#include "runtime/formats/SbsModel.h"

#include <map>
#include <memory>
#include <span>

namespace gemma::cpu {

using CpuCaches = std::vector<std::vector<float>>;

class CpuModel {
public:
  static absl::StatusOr<std::unique_ptr<CpuModel>>
  Create(const ModelFile &model, const ModelWeights &weights,
         const BuildOptions &options, const std::vector<std::string> &fusions,
         int threads = 0);

  const CacheLayout &layout() const { return layout_; }
  ThreadPool &pool() { return pool_; }

  CpuCaches EmptyCaches(int64_t batch) const;
  absl::Status Prefill(std::span<const int32_t> ids, int32_t start,
                       CpuCaches &caches);
  // Logits [B, vocab], row-major.
  absl::StatusOr<std::vector<float>> Decode(std::span<const int32_t> ids,
                                            std::span<const int32_t> positions,
                                            CpuCaches &caches);

private:
  explicit CpuModel(int threads) : pool_(threads) {}
  absl::StatusOr<std::vector<std::vector<float>>>
  Run(CpuExecutor &program, std::span<const int32_t> ids,
      std::span<const int32_t> positions, CpuCaches &caches);

  CacheLayout layout_;
  ThreadPool pool_;
  std::map<int64_t, std::unique_ptr<CpuExecutor>> prefill_, decode_;
};

} // namespace gemma::cpu

#endif // COMPILER_PLAN_CPUMODEL_H
