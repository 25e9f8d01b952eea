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

absl::Status ForEachPrefillChunk(
    const CacheLayout &layout, size_t count, int32_t start,
    const std::function<
        absl::Status(size_t offset, std::span<const int32_t> positions)> &run) {
  if (start < 0 || uint64_t(start) + count > layout.context)
    return absl::OutOfRangeError(fmt::format(
        "positions {}..{} do not fit the context of {} positions", start,
        int64_t(start) + int64_t(count) - 1, layout.context));
  std::vector<int32_t> positions;
  for (size_t done = 0; done < count;) {
    const size_t left = count - done;
    int64_t t = 0;
    for (int64_t bucket : layout.prefill_buckets) // sorted
      if (size_t(bucket) <= left)
        t = bucket;
    if (t == 0)
      return absl::InvalidArgumentError(fmt::format(
          "no prefill bucket fits the last {} prompt tokens", left));
    positions.resize(size_t(t));
    for (int64_t i = 0; i < t; ++i)
      positions[i] = start + int32_t(done + i);
    if (absl::Status s = run(done, positions); !s.ok())
      return s;
    done += size_t(t);
  }
  return absl::OkStatus();
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
  layout.image_token = options.image_token;

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
    // A layer that reads another layer's cache keeps a one-slot placeholder
    // (never written or read), so every layer keeps its pair of arguments.
    if (layer.kv_source_layer >= 0)
      cache.slots = 1;
    layout.layers.push_back(cache);
  }
  return layout;
}

} // namespace gemma
