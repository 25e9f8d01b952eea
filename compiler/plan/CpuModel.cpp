//===- CpuModel.cpp - A model on the CPU backend --------------------------===//

#include "compiler/plan/CpuModel.h"

#include "compiler/builder/ModelBuilder.h"
#include "compiler/plan/CompilePlan.h"

#include <fmt/format.h>

#include <algorithm>

namespace gemma::cpu {

absl::StatusOr<std::unique_ptr<CpuModel>>
CpuModel::Create(const ModelFile &model, const ModelWeights &weights,
                 const BuildOptions &options,
                 const std::vector<std::string> &fusions, int threads) {
  absl::StatusOr<CacheLayout> layout = MakeCacheLayout(model.spec, options);
  if (!layout.ok())
    return layout.status();
  absl::StatusOr<std::vector<plan::Program>> lowered =
      plan::CompilePrograms(model.spec, weights, *layout, fusions);
  if (!lowered.ok())
    return lowered.status();
  std::unique_ptr<CpuModel> cpu(new CpuModel(threads));
  cpu->layout_ = *std::move(layout);
  auto lookup = [&](const std::string &symbol) -> absl::StatusOr<WeightView> {
    const WeightTensor *t = model.Find(symbol);
    if (!t)
      return absl::NotFoundError(
          fmt::format("no tensor '{}' in the weight file", symbol));
    return WeightView{t->type, t->bytes.data(), int64_t(t->rows),
                      int64_t(t->cols), t->scale};
  };
  for (auto [buckets, programs, name] :
       {std::tuple(&cpu->layout_.prefill_buckets, &cpu->prefill_,
                   &PrefillFunctionName),
        std::tuple(&cpu->layout_.decode_buckets, &cpu->decode_,
                   &DecodeFunctionName)})
    for (int64_t bucket : *buckets) {
      auto found = std::find_if(
          lowered->begin(), lowered->end(),
          [&](const plan::Program &p) { return p.name == name(bucket); });
      if (found == lowered->end())
        return absl::InternalError(
            fmt::format("no function @{} was built", name(bucket)));
      absl::StatusOr<std::unique_ptr<CpuExecutor>> program =
          CpuExecutor::Create(*found, lookup);
      if (!program.ok())
        return program.status();
      (*programs)[bucket] = *std::move(program);
    }
  return cpu;
}

CpuCaches CpuModel::EmptyCaches(int64_t batch) const {
  CpuCaches caches;
  for (const LayerCache &layer : layout_.layers)
    for (int kv = 0; kv < 2; ++kv)
      caches.emplace_back(
          size_t(batch * layer.slots * layer.kv_heads * layer.head_dim), 0.0f);
  return caches;
}

absl::StatusOr<std::vector<std::vector<float>>>
CpuModel::Run(CpuExecutor &program, std::span<const int32_t> ids,
              std::span<const int32_t> positions, CpuCaches &caches) {
  std::vector<void *> args = {const_cast<int32_t *>(ids.data()),
                              const_cast<int32_t *>(positions.data())};
  for (std::vector<float> &cache : caches)
    args.push_back(cache.data());
  std::vector<std::vector<float>> results;
  if (absl::Status s = program.Run(pool_, args, &results); !s.ok())
    return s;
  return results;
}

absl::Status CpuModel::Prefill(std::span<const int32_t> ids, int32_t start,
                               CpuCaches &caches) {
  return ForEachPrefillChunk(
      layout_, ids.size(), start,
      [&](size_t offset, std::span<const int32_t> positions) {
        return Run(*prefill_.at(int64_t(positions.size())),
                   ids.subspan(offset, positions.size()), positions, caches)
            .status();
      });
}

absl::StatusOr<std::vector<float>>
CpuModel::Decode(std::span<const int32_t> ids,
                 std::span<const int32_t> positions, CpuCaches &caches) {
  auto program = decode_.find(int64_t(ids.size()));
  if (program == decode_.end() || positions.size() != ids.size())
    return absl::InvalidArgumentError(
        fmt::format("no decode bucket for {} sequences", ids.size()));
  for (int32_t p : positions)
    if (p < 0 || uint32_t(p) >= layout_.context)
      return absl::OutOfRangeError(
          fmt::format("position {} is past the context of {} positions", p,
                      layout_.context));
  absl::StatusOr<std::vector<std::vector<float>>> out =
      Run(*program->second, ids, positions, caches);
  if (!out.ok())
    return out.status();
  return std::move(out->front());
}

} // namespace gemma::cpu
