//===- CompilePlan.cpp - A weight file to a .plan -------------------------===//

#include "compiler/plan/CompilePlan.h"

#include "compiler/builder/ModelBuilder.h"
#include "compiler/plan/LowerToPlan.h"
#include "passes/FusionPipeline.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>

namespace gemma::plan {

const char *CompilerVersion() { return GEMMA_VERSION; }

absl::StatusOr<std::vector<Program>>
CompilePrograms(const ModelSpec &spec, const ModelWeights &weights,
                const CacheLayout &layout,
                const std::vector<std::string> &fusions) {
  mlir::MLIRContext context;
  absl::StatusOr<mlir::OwningOpRef<mlir::ModuleOp>> module =
      BuildModel(context, spec, weights, layout);
  if (!module.ok())
    return module.status();
  if (absl::Status s = Fuse(**module, fusions); !s.ok())
    return s;
  return LowerToPrograms(**module);
}

const std::vector<std::string> &CompileTargets() {
  static const std::vector<std::string> targets = {"cpu", "vulkan", "cuda"};
  return targets;
}

absl::StatusOr<PlanFile> CompilePlan(const ModelFile &model,
                                     const ModelWeights &weights,
                                     CompileOptions options,
                                     const std::string &sbs_path,
                                     const std::string &plan_path) {
  // The programs are the same for every backend; the plan records which
  // one runs them.
  const std::vector<std::string> &targets = CompileTargets();
  if (std::find(targets.begin(), targets.end(), options.backend) ==
      targets.end())
    return absl::InvalidArgumentError(
        fmt::format("unknown backend '{}' (this build compiles for: {})",
                    options.backend, fmt::join(targets, ", ")));
  // Generation feeds single tokens through @decode_1 (prompt remainders,
  // every decode step).
  std::vector<int64_t> &decode = options.build.decode_buckets;
  if (std::find(decode.begin(), decode.end(), 1) == decode.end())
    decode.push_back(1);
  absl::StatusOr<CacheLayout> layout =
      MakeCacheLayout(model.spec, options.build);
  if (!layout.ok())
    return layout.status();
  absl::StatusOr<std::vector<Program>> programs =
      CompilePrograms(model.spec, weights, *layout, options.fusions);
  if (!programs.ok())
    return programs.status();

  PlanFile file;
  PlanMeta &meta = file.meta;
  meta.compiler_version = CompilerVersion();
  meta.backend = options.backend;
  meta.fusions = options.fusions;
  meta.context = layout->context;
  meta.prefill_buckets = layout->prefill_buckets;
  meta.decode_buckets = layout->decode_buckets;
  for (const LayerCache &c : layout->layers)
    meta.caches.push_back({c.slots, c.kv_heads, c.head_dim});
  meta.model_name = model.spec.name;
  meta.vocab_size = model.spec.vocab_size;
  meta.bos_id = model.spec.bos_id;
  meta.eos_ids = model.spec.eos_ids;
  meta.chat_format = static_cast<uint32_t>(model.spec.chat);
  namespace fs = std::filesystem;
  std::error_code error;
  const fs::path sbs = fs::absolute(sbs_path, error);
  const fs::path folder = fs::absolute(plan_path, error).parent_path();
  meta.weights_path = fs::relative(sbs, folder, error).generic_string();
  if (error || meta.weights_path.empty())
    meta.weights_path = sbs.generic_string();
  meta.weights_size = model.file_bytes;
  meta.weights_fingerprint = model.fingerprint;
  file.programs = *std::move(programs);
  const std::string key = fmt::format(
      "{}|{}|{}|{}|{}|{}|{}", meta.compiler_version, meta.backend,
      fmt::join(meta.fusions, ","), meta.context,
      fmt::join(meta.prefill_buckets, ","), fmt::join(meta.decode_buckets, ","),
      meta.weights_fingerprint);
  meta.cache_key = Fingerprint(
      std::span(reinterpret_cast<const uint8_t *>(key.data()), key.size()));
  return file;
}

} // namespace gemma::plan
