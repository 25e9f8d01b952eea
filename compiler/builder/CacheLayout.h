//===- CacheLayout.h - Buckets and per-layer KV cache shapes ----*- C++ -*-===//
//
// What a compiled model's functions look like from outside: the prefill and
// decode buckets, and each layer's KV cache [B, slots, kv_heads, head_dim].
// Global layers keep `context` slots; sliding layers keep a ring buffer of
// W + T_max - 1 slots (T_max the largest prefill bucket), the fewest that
// let every query of a prefill chunk see its whole window although later
// tokens of the same chunk are written into the ring first. Layers that
// share another layer's cache (Gemma 4 KV sharing) keep a one-slot
// placeholder.
//
//===----------------------------------------------------------------------===//

#ifndef COMPILER_BUILDER_CACHELAYOUT_H
#define COMPILER_BUILDER_CACHELAYOUT_H

#include "runtime/formats/ModelSpec.h"

#include "absl/status/statusor.h"

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace gemma {

struct BuildOptions {
  // Positions the KV cache holds (the longest sequence); 0: the model's
  // max_context.
  uint32_t context = 0;
  // Token counts of the @prefill_T functions, and sequence counts of the
  // @decode_B functions. Either list may be empty, not both.
  std::vector<int64_t> prefill_buckets;
  std::vector<int64_t> decode_buckets;
  // The image token's id for a model that reads images (docs/vision.md):
  // each prefill bucket then also has an @prefill_image_T function. -1: none.
  int32_t image_token = -1;
};

struct LayerCache {
  int64_t slots = 0;
  int64_t kv_heads = 0;
  int64_t head_dim = 0;
};

struct CacheLayout {
  uint32_t context = 0;
  std::vector<int64_t> prefill_buckets; // sorted, unique
  std::vector<int64_t> decode_buckets;  // sorted, unique
  int32_t image_token = -1;             // BuildOptions::image_token
  std::vector<LayerCache> layers;
};

// Splits `count` prompt tokens at positions start, start + 1, ... into
// chunks of the largest prefill bucket that fits what is left, calling
// run(offset, positions) per chunk. Fails past the context, or when no
// bucket fits the rest.
absl::Status ForEachPrefillChunk(
    const CacheLayout &layout, size_t count, int32_t start,
    const std::function<absl::Status(size_t offset,
                                     std::span<const int32_t> positions)> &run);

// Checks the options against the spec (context within max_context, buckets
// positive and no longer than the context) and derives every cache shape.
absl::StatusOr<CacheLayout> MakeCacheLayout(const ModelSpec &spec,
                                            const BuildOptions &options);

} // namespace gemma

#endif // COMPILER_BUILDER_CACHELAYOUT_H
