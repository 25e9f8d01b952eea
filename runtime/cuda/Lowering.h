//===- Lowering.h - Plan calls as CUDA kernel launches ----------*- C++ -*-===//
//
// A plan program's kernel calls as launches of kernels/cuda's bodies: each
// call's shapes and static parameters become a KernelShape (one entry
// point of the program's module per distinct shape, so calls of one shape
// in different layers share it), its operands references into the arena or
// the KV caches resolved to device addresses when a cache set is bound.
// RoPE tables go to a per-program parameter buffer, MoE scratch and the
// device-side top-k results past the arena.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_CUDA_LOWERING_H
#define RUNTIME_CUDA_LOWERING_H

#include "runtime/Backend.h"
#include "runtime/cuda/Gpu.h"
#include "runtime/gpu/GpuWeight.h"
#include "runtime/plan/PlanProgram.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace gemma::cuda {

// A weight in GPU memory, as stored.
struct Stored : gpu::GpuWeight {
  DevicePtr pointer = 0;
};

using WeightTable = std::map<std::string, Stored>;

// A launch before its operands have addresses.
struct PendingLaunch {
  uint32_t kernel = 0; // index into LoweredProgram::shapes
  uint32_t blocks = 0;
  std::vector<plan::Buffer> operands;
  DevicePtr weight = 0, weight2 = 0;
  float wscale = 1.0f, wscale2 = 1.0f;
  plan::Kernel call = plan::Kernel::kEmbed; // the plan call (--profile)
  bool first = false;                       // the call's first launch
  uint64_t weight_bytes = 0;                // what the call reads (on `first`)
};

// The most candidates device-side top-k returns per row.
constexpr int kMaxDeviceTopK = 256;

struct LoweredProgram {
  std::vector<KernelShape> shapes;
  std::vector<PendingLaunch> launches;
  std::vector<float> params;  // RoPE tables
  int64_t vocab = -1;         // rows of the embedding table the ids index
  int64_t arena_elements = 0; // arena, scratch and top-k results
  std::optional<plan::Buffer> output; // the logits, when there are any
  // Top-k over the logits: ids then their logits, kMaxDeviceTopK per row.
  plan::Buffer topk_ids, topk_values;
};

absl::StatusOr<LoweredProgram> LowerProgram(const WeightTable &weights,
                                            const plan::Program &program);

// The top-k launch over `lowered`'s logits for `k` candidates per row: a
// shape of its own (k is a constant of the kernel) and its launch.
std::pair<KernelShape, PendingLaunch> TopKLaunch(const LoweredProgram &lowered,
                                                 int64_t rows, int k);

} // namespace gemma::cuda

#endif // RUNTIME_CUDA_LOWERING_H
