//===- gemma-compile.cpp - Weight file to gemma IR ------------------------===//
//
//   gemma-compile model.sbs -o model.plan [--fusion all|none|LIST]
//       [--context N] [--prefill-buckets 32,128] [--decode-buckets 1,4]
//   gemma-compile model.sbs --emit=gemma|fused|plan [...] [-o out.txt]
//
// Prints the module the builder makes of the model (params, one @prefill_T
// per prefill bucket and one @decode_B per decode bucket), before or after
// the fusion passes, or as the kernel calls of each bucket (the plan).
//
//===----------------------------------------------------------------------===//

#include "compiler/builder/ModelBuilder.h"
#include "compiler/import/SbsWeights.h"
#include "compiler/plan/LowerToPlan.h"
#include "compiler/plan/PlanFile.h"
#include "passes/FusionPipeline.h"
#include "tools/common/IntList.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>

#include <cstdio>

namespace {

namespace cl = llvm::cl;

enum class Emit { kFile, kGemma, kFused, kPlan };

cl::OptionCategory category("gemma-compile options");
cl::opt<std::string> model_path(cl::Positional, cl::desc("<model.sbs>"),
                                cl::Required);
cl::opt<Emit> emit("emit",
                   cl::desc("Print a stage instead of writing a .plan file"),
                   cl::init(Emit::kFile),
                   cl::values(clEnumValN(Emit::kGemma, "gemma",
                                         "the gemma dialect module (unfused)"),
                              clEnumValN(Emit::kFused, "fused",
                                         "the module after the fusion passes"),
                              clEnumValN(Emit::kPlan, "plan",
                                         "each bucket's kernel calls (after "
                                         "fusion) with arena offsets")),
                   cl::cat(category));
cl::opt<std::string> fusion_opt(
    "fusion",
    cl::desc("Fusions for --emit=fused: all, none, or a comma list of "
             "attention, geglu, residual-norm, logits"),
    cl::value_desc("list"), cl::init("all"), cl::cat(category));
cl::opt<std::string>
    output("o",
           cl::desc("Output: the .plan file, or with --emit a text file "
                    "(default: stdout)"),
           cl::value_desc("file"), cl::init("-"), cl::cat(category));
cl::opt<uint32_t>
    context_opt("context",
                cl::desc("KV cache positions (default: the model's context)"),
                cl::init(0), cl::cat(category));
cl::opt<std::string>
    prefill_opt("prefill-buckets",
                cl::desc("Token counts of the prefill functions"),
                cl::value_desc("list"), cl::init("32,128"), cl::cat(category));
cl::opt<std::string>
    decode_opt("decode-buckets",
               cl::desc("Sequence counts of the decode functions"),
               cl::value_desc("list"), cl::init("1"), cl::cat(category));
cl::opt<std::string> backend("backend", cl::desc("Target backend (cpu)"),
                             cl::init("cpu"), cl::cat(category));

int Fail(const std::string &message) {
  std::fprintf(stderr, "gemma-compile: error: %s\n", message.c_str());
  return 1;
}

int WritePlanFile(const gemma::SbsModel &model,
                  const gemma::CacheLayout &layout,
                  const std::vector<std::string> &fusions,
                  mlir::ModuleOp module) {
  using namespace gemma;
  plan::PlanFile file;
  plan::PlanMeta &meta = file.meta;
  meta.compiler_version = GEMMA_VERSION;
  meta.backend = backend;
  meta.fusions = fusions;
  meta.context = layout.context;
  meta.prefill_buckets = layout.prefill_buckets;
  meta.decode_buckets = layout.decode_buckets;
  for (const LayerCache &c : layout.layers)
    meta.caches.push_back({c.slots, c.kv_heads, c.head_dim});
  meta.model_name = model.spec.name;
  meta.vocab_size = model.spec.vocab_size;
  meta.bos_id = model.spec.bos_id;
  meta.eos_ids = model.spec.eos_ids;
  meta.chat_format = static_cast<uint32_t>(model.spec.chat);
  namespace fs = std::filesystem;
  std::error_code error;
  const fs::path sbs = fs::absolute(model_path.getValue(), error);
  const fs::path folder =
      fs::absolute(fs::path(output.getValue()), error).parent_path();
  meta.weights_path = fs::relative(sbs, folder, error).generic_string();
  if (error || meta.weights_path.empty())
    meta.weights_path = sbs.generic_string();
  meta.weights_size = model.file->container().file_bytes();
  meta.weights_fingerprint = plan::WeightsFingerprint(*model.file);
  for (mlir::func::FuncOp func : module.getOps<mlir::func::FuncOp>()) {
    absl::StatusOr<plan::Program> program = plan::LowerToPlan(func);
    if (!program.ok())
      return Fail(fmt::format("{}: {}", model_path.getValue(),
                              std::string(program.status().message())));
    file.programs.push_back(*std::move(program));
  }
  const std::string key = fmt::format(
      "{}|{}|{}|{}|{}|{}|{}", meta.compiler_version, meta.backend,
      fmt::join(meta.fusions, ","), meta.context,
      fmt::join(meta.prefill_buckets, ","), fmt::join(meta.decode_buckets, ","),
      meta.weights_fingerprint);
  meta.cache_key = plan::Fingerprint(
      std::span(reinterpret_cast<const uint8_t *>(key.data()), key.size()));
  if (absl::Status s = plan::WritePlan(file, output); !s.ok())
    return Fail(std::string(s.message()));
  std::printf("wrote %s: %s, backend %s, prefill [%s], decode [%s], fusions "
              "%s, %zu programs, %.1f KB\n",
              output.c_str(), meta.model_name.c_str(), meta.backend.c_str(),
              fmt::format("{}", fmt::join(meta.prefill_buckets, ", ")).c_str(),
              fmt::format("{}", fmt::join(meta.decode_buckets, ", ")).c_str(),
              fusions.empty()
                  ? "none"
                  : fmt::format("{}", fmt::join(fusions, ",")).c_str(),
              file.programs.size(),
              double(std::filesystem::file_size(output.getValue())) / 1024.0);
  return 0;
}

int Run() {
  using namespace gemma;
  absl::StatusOr<SbsModel> model = LoadSbsModel(model_path);
  if (!model.ok())
    return Fail(std::string(model.status().message()));
  absl::StatusOr<ModelWeights> weights = SbsModelWeights(*model);
  if (!weights.ok())
    return Fail(std::string(weights.status().message()));
  BuildOptions options;
  options.context = context_opt;
  absl::StatusOr<std::vector<int64_t>> prefill =
      ParseIntList(prefill_opt, "prefill-buckets");
  absl::StatusOr<std::vector<int64_t>> decode =
      ParseIntList(decode_opt, "decode-buckets");
  for (const auto *list : {&prefill, &decode})
    if (!list->ok())
      return Fail(std::string(list->status().message()));
  options.prefill_buckets = *prefill;
  options.decode_buckets = *decode;
  absl::StatusOr<std::vector<std::string>> fusions = ParseFusions(fusion_opt);
  if (!fusions.ok())
    return Fail(
        fmt::format("--fusion: {}", std::string(fusions.status().message())));
  absl::StatusOr<CacheLayout> layout = MakeCacheLayout(model->spec, options);
  if (!layout.ok())
    return Fail(fmt::format("{}: {}", model_path.getValue(),
                            std::string(layout.status().message())));

  if (emit == Emit::kFile) {
    if (output == "-")
      return Fail("give the .plan file to write with -o (or print a stage "
                  "with --emit=gemma|fused|plan)");
    if (backend != "cpu")
      return Fail(fmt::format("unknown backend '{}' (this build compiles "
                              "for: cpu)",
                              backend.getValue()));
    // Generation feeds single tokens through @decode_1 (prompt remainders,
    // the first decode step).
    if (std::find(options.decode_buckets.begin(), options.decode_buckets.end(),
                  1) == options.decode_buckets.end())
      options.decode_buckets.push_back(1);
    layout = MakeCacheLayout(model->spec, options);
    if (!layout.ok())
      return Fail(fmt::format("{}: {}", model_path.getValue(),
                              std::string(layout.status().message())));
  }

  mlir::MLIRContext context;
  absl::StatusOr<mlir::OwningOpRef<mlir::ModuleOp>> module =
      BuildModel(context, model->spec, *weights, *layout);
  if (!module.ok())
    return Fail(fmt::format("{}: {}", model_path.getValue(),
                            std::string(module.status().message())));
  if (emit != Emit::kGemma) {
    mlir::PassManager pm(&context);
    AddFusionPasses(pm, *fusions);
    if (failed(pm.run(**module)))
      return Fail(
          fmt::format("{}: the fusion passes failed", model_path.getValue()));
  }
  if (emit == Emit::kFile)
    return WritePlanFile(*model, *layout, *fusions, **module);
  std::error_code error;
  llvm::raw_fd_ostream out(output, error, llvm::sys::fs::OF_None);
  if (error)
    return Fail(fmt::format("{}: cannot write: {}", output.getValue(),
                            error.message()));
  if (emit == Emit::kPlan) {
    for (mlir::func::FuncOp func : (*module)->getOps<mlir::func::FuncOp>()) {
      absl::StatusOr<plan::Program> program = plan::LowerToPlan(func);
      if (!program.ok())
        return Fail(fmt::format("{}: {}", model_path.getValue(),
                                std::string(program.status().message())));
      out << plan::FormatProgram(*program);
    }
    return 0;
  }
  (*module)->print(out);
  out << "\n";
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv,
                              "gemma-compile: compile a Gemma model\n");
  return Run();
}
