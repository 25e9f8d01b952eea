//===- ModelRunner.cpp - A built model run by the reference evaluator -----===//

#include "compiler/reference/ModelRunner.h"

#include "compiler/builder/ModelBuilder.h"
#include "passes/FusionPipeline.h"
#include "runtime/formats/VisionModel.h"

#include <fmt/format.h>

#include <algorithm>

namespace gemma::reference {

absl::StatusOr<std::unique_ptr<ModelRunner>>
ModelRunner::Create(const ModelSpec &spec, const ModelWeights &weights,
                    WeightProvider provider, const BuildOptions &options,
                    const std::vector<std::string> &fusions) {
  absl::StatusOr<CacheLayout> layout = MakeCacheLayout(spec, options);
  if (!layout.ok())
    return layout.status();
  std::unique_ptr<ModelRunner> runner(new ModelRunner());
  runner->spec_ = spec;
  runner->layout_ = *std::move(layout);
  runner->provider_ = std::move(provider);
  runner->context_ = std::make_unique<mlir::MLIRContext>();
  absl::StatusOr<mlir::OwningOpRef<mlir::ModuleOp>> module =
      BuildModel(*runner->context_, spec, weights, runner->layout_);
  if (!module.ok())
    return module.status();
  runner->module_ = *std::move(module);
  if (absl::Status s = Fuse(*runner->module_, fusions); !s.ok())
    return s;
  return runner;
}

KvCaches ModelRunner::EmptyCaches(int64_t batch) const {
  KvCaches caches;
  for (const LayerCache &layer : layout_.layers)
    for (int kv = 0; kv < 2; ++kv)
      caches.push_back(
          Tensor::Zeros({batch, layer.slots, layer.kv_heads, layer.head_dim}));
  return caches;
}

absl::StatusOr<std::vector<Value>> ModelRunner::Run(const std::string &function,
                                                    std::vector<Value> args) {
  return RunFunction(*module_, function, std::move(args), provider_);
}

absl::Status ModelRunner::Prefill(std::span<const int32_t> ids, int32_t start,
                                  KvCaches &caches) {
  return ForEachPrefillChunk(
      layout_, ids.size(), start,
      [&](size_t offset, std::span<const int32_t> positions) -> absl::Status {
        const size_t t = positions.size();
        std::vector<Value> args = {
            std::vector<int32_t>(ids.begin() + offset,
                                 ids.begin() + offset + t),
            std::vector<int32_t>(positions.begin(), positions.end())};
        args.insert(args.end(), caches.begin(), caches.end());
        absl::StatusOr<std::vector<Value>> outs =
            Run(PrefillFunctionName(int64_t(t)), std::move(args));
        if (!outs.ok())
          return outs.status();
        for (size_t i = 0; i < caches.size(); ++i)
          caches[i] = std::get<Tensor>(std::move((*outs)[i]));
        return absl::OkStatus();
      });
}

absl::StatusOr<Tensor> ModelRunner::PrefillImages(std::span<const int32_t> ids,
                                                  int32_t start,
                                                  const Tensor &soft,
                                                  KvCaches &caches) {
  if (layout_.image_token < 0)
    return absl::FailedPreconditionError(
        "the model was built without image prompts");
  if (!std::binary_search(layout_.prefill_buckets.begin(),
                          layout_.prefill_buckets.end(), int64_t(ids.size())))
    return absl::InvalidArgumentError(
        fmt::format("no prefill bucket of {} tokens", ids.size()));
  if (start < 0 || uint64_t(start) + ids.size() > layout_.context)
    return absl::OutOfRangeError(
        fmt::format("positions {} to {} are past the context of {} positions",
                    start, uint64_t(start) + ids.size() - 1, layout_.context));
  std::vector<int32_t> positions(ids.size());
  for (size_t n = 0; n < ids.size(); ++n)
    positions[n] = start + int32_t(n);
  std::vector<Value> args = {std::vector<int32_t>(ids.begin(), ids.end()),
                             positions};
  args.insert(args.end(), caches.begin(), caches.end());
  args.push_back(soft);
  args.push_back(ImageHorizons(ids, start, layout_.image_token));
  return RunForLogits(PrefillImageFunctionName(int64_t(ids.size())),
                      std::move(args), caches);
}

absl::StatusOr<Tensor> ModelRunner::Decode(std::span<const int32_t> ids,
                                           std::span<const int32_t> positions,
                                           KvCaches &caches) {
  if (ids.size() != positions.size())
    return absl::InvalidArgumentError("one position per sequence expected");
  if (!std::binary_search(layout_.decode_buckets.begin(),
                          layout_.decode_buckets.end(), int64_t(ids.size())))
    return absl::InvalidArgumentError(
        fmt::format("no decode bucket for {} sequences", ids.size()));
  for (int32_t p : positions)
    if (p < 0 || uint32_t(p) >= layout_.context)
      return absl::OutOfRangeError(
          fmt::format("position {} is past the context of {} positions", p,
                      layout_.context));
  std::vector<Value> args = {
      std::vector<int32_t>(ids.begin(), ids.end()),
      std::vector<int32_t>(positions.begin(), positions.end())};
  args.insert(args.end(), caches.begin(), caches.end());
  return RunForLogits(DecodeFunctionName(int64_t(ids.size())), std::move(args),
                      caches);
}

absl::StatusOr<Tensor> ModelRunner::RunForLogits(const std::string &function,
                                                 std::vector<Value> args,
                                                 KvCaches &caches) {
  absl::StatusOr<std::vector<Value>> outs = Run(function, std::move(args));
  if (!outs.ok())
    return outs.status();
  for (size_t i = 0; i < caches.size(); ++i)
    caches[i] = std::get<Tensor>(std::move((*outs)[i + 1]));
  return std::get<Tensor>(std::move((*outs)[0]));
}

KvCaches StackCaches(std::span<const KvCaches> sequences) {
  KvCaches batch;
  for (size_t i = 0; i < sequences.front().size(); ++i) {
    std::vector<int64_t> shape = sequences.front()[i].shape;
    shape[0] = int64_t(sequences.size());
    Tensor stacked = Tensor::Zeros(shape);
    stacked.data.clear();
    for (const KvCaches &one : sequences)
      stacked.data.insert(stacked.data.end(), one[i].data.begin(),
                          one[i].data.end());
    batch.push_back(std::move(stacked));
  }
  return batch;
}

KvCaches SequenceOf(const KvCaches &batch, int64_t sequence) {
  KvCaches one;
  for (const Tensor &cache : batch) {
    std::vector<int64_t> shape = cache.shape;
    shape[0] = 1;
    Tensor t = Tensor::Zeros(shape);
    const int64_t width = cache.RowWidth();
    std::copy(cache.Row(sequence), cache.Row(sequence) + width, t.data.begin());
    one.push_back(std::move(t));
  }
  return one;
}

} // namespace gemma::reference
