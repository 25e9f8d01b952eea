//===- Lowering.h - Plan calls as Vulkan dispatches -------------*- C++ -*-===//
//
// A plan program's kernel calls as dispatches of kernels/vulkan's shaders:
// each call's shapes become specialization constants (its pipeline, shared
// by every call of the same shape), its operands' offsets push constants;
// RoPE tables go to a per-program parameter buffer, MoE scratch past the
// arena.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_VULKAN_LOWERING_H
#define RUNTIME_VULKAN_LOWERING_H

#include "runtime/plan/PlanProgram.h"
#include "runtime/vulkan/VulkanDevice.h"
#include "runtime/vulkan/WeightStore.h"

#include <optional>
#include <vector>

namespace gemma::vulkan {

struct PushConstants {
  uint32_t off[6] = {};
  uint32_t wbase = 0;
  float wscale = 1.0f;
};

struct Dispatch {
  VkPipeline pipeline = VK_NULL_HANDLE;
  PushConstants push;
  uint32_t groups = 0;
  uint32_t chunk = 0; // the weight buffer bound while it runs
  plan::Kernel kernel =
      plan::Kernel::kEmbed;  // the plan call it belongs to (--profile)
  bool first = false;        // the call's first dispatch
  uint64_t weight_bytes = 0; // what the call reads (on `first`)
};

// A program as dispatches, and what running it needs.
struct LoweredProgram {
  std::vector<Dispatch> dispatches;
  std::vector<float> params;  // RoPE tables (binding 5)
  int64_t vocab = -1;         // rows of the embedding table the ids index
  int64_t arena_elements = 0; // the program's arena, scratch and argmax ids
  // The program's result in the arena (the logits), when it has one; then
  // also the device's greedy pick over it, into `chosen`.
  std::optional<plan::Buffer> output;
  std::optional<Dispatch> argmax;
  plan::Buffer chosen;
};

// `weights` must hold every weight the program names (WeightStore::Ensure).
absl::StatusOr<LoweredProgram> LowerProgram(Device &device,
                                            const WeightStore &weights,
                                            const plan::Program &program);

} // namespace gemma::vulkan

#endif // RUNTIME_VULKAN_LOWERING_H
