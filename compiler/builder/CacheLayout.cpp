//===- CacheLayout.cpp - Buckets and per-layer KV cache shapes ------------===//

#include "compiler/builder/CacheLayout.h"

#include <fmt/format.h>

#include <algorithm>

namespace gemma {
namespace {

absl::StatusOr<std::vector<int64_t>> Buckets(std::vector<int64_t> buckets,
                                             const char *kind, uint32_t limit) {
  std::sort(buckets.begin(), buckets.end());
  buckets.erase(std::unique(buckets.begin(), buckets.end()), buckets.end());
  for (int64_t b : buckets)
    if (b < 1 || b > limit)
      return absl::InvalidArgumentError(
          fmt::format("{} bucket {} is outside 1..{}", kind, b, limit));
  return buckets;
}

} // namespace

int64_t PrefillChunk(const CacheLayout &layout, int64_t left) {
  for (auto it = layout.prefill_buckets.rbegin();
       it != layout.prefill_buckets.rend(); ++it)
    if (*it <= left)
      return *it;
  return 0;
}

absl::StatusOr<CacheLayout> MakeCacheLayout(const ModelSpec &spec,
                                            const BuildOptions &options) {
  CacheLayout layout;
  layout.context = options.context ? options.context : spec.max_context;
  if (layout.context > spec.max_context)
    return absl::InvalidArgumentError(
        fmt::format("context {} exceeds the model's maximum of {} positions",
                    layout.context, spec.max_context));
  absl::StatusOr<std::vector<int64_t>> prefill =
      Buckets(options.prefill_buckets, "prefill", layout.context);
  if (!prefill.ok())
    return prefill.status();
  // A decode bucket counts sequences, bounded only by sanity.
  absl::StatusOr<std::vector<int64_t>> decode =
      Buckets(options.decode_buckets, "decode", 4096);
  if (!decode.ok())
    return decode.status();
  if (prefill->empty() && decode->empty())
    return absl::InvalidArgumentError("no prefill or decode bucket");
  layout.prefill_buckets = *std::move(prefill);
  layout.decode_buckets = *std::move(decode);

  const int64_t longest_chunk =
      layout.prefill_buckets.empty() ? 1 : layout.prefill_buckets.back();
  for (const LayerSpec &layer : spec.layers) {
    LayerCache cache;
    cache.kv_heads = layer.kv_heads;
    cache.head_dim = layer.head_dim;
    cache.slots = layout.context;
    if (!layer.is_global())
      cache.slots = std::min<int64_t>(layout.context, int64_t{layer.window} +
                                                          longest_chunk - 1);
    layout.layers.push_back(cache);
  }
  return layout;
}

} // namespace gemma
