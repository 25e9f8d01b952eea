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
#include "compiler/plan/CompilePlan.h"
#include "compiler/plan/LowerToPlan.h"
#include "passes/FusionPipeline.h"
#include "runtime/formats/LoadModel.h"
#include "runtime/formats/MappedFile.h"
#include "runtime/formats/OutputFile.h"
#include "runtime/formats/SbsWeights.h"
#include "runtime/formats/gguf/ConvertGguf.h"
#include "runtime/formats/synth/ConvertSbs.h"
#include "runtime/plan/PlanFile.h"
#include "tools/common/Errors.h"
#include "tools/common/FlagCheck.h"
#include "tools/common/IntList.h"
#include "tools/common/Progress.h"
#include "tools/common/Version.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <cstdio>

namespace {

namespace cl = llvm::cl;

enum class Emit { kFile, kGemma, kFused, kPlan };

cl::OptionCategory output_group("Output");
cl::OptionCategory plan_group("Plan");
cl::OptionCategory weights_group("Weights");
cl::opt<std::string>
    model_path(cl::Positional,
               cl::desc("<model.sbs|model.gguf|checkpoint-dir>"), cl::Required);
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
                   cl::cat(output_group));
cl::opt<std::string> fusion_opt(
    "fusion",
    cl::desc("Fusions: all, none, or a comma list of attention, qkv-rope, "
             "geglu, residual-norm, norm-matmul, logits; default all"),
    cl::value_desc("list"), cl::init("all"), cl::cat(plan_group));
cl::opt<std::string>
    output("o",
           cl::desc("Output: the .plan file, or with --emit a text file "
                    "(default: stdout)"),
           cl::value_desc("file"), cl::init("-"), cl::cat(output_group));
cl::opt<uint32_t>
    context_opt("context",
                cl::desc("KV cache positions (default: the model's context)"),
                cl::init(0), cl::cat(plan_group));
cl::opt<std::string> prefill_opt(
    "prefill-buckets",
    cl::desc("Token counts of the prefill functions; default 32,128 "
             "(those not above the context)"),
    cl::value_desc("list"), cl::init("32,128"), cl::cat(plan_group));
cl::opt<std::string>
    decode_opt("decode-buckets",
               cl::desc("Sequence counts of the decode functions; default 1"),
               cl::value_desc("list"), cl::init("1"), cl::cat(plan_group));
cl::opt<bool> embed_weights(
    "embed-weights",
    cl::desc("Copy the weight file into the plan (one self-contained file)"),
    cl::cat(weights_group));
cl::opt<bool> print_config(
    "print-config",
    cl::desc("Print the model as imported (every spec field per layer) and "
             "exit"),
    cl::cat(output_group));
cl::opt<std::string> weight_type(
    "weight-type",
    cl::desc("Re-encode the weights into a file beside the plan, which the "
             "plan then reads: f32, bf16, sfp, nuq, i8 as a gemma.cpp .sbs; "
             "f16, q8_0, q5_0, q4_k, q6_k as a llama.cpp .gguf"),
    cl::value_desc("type"), cl::cat(weights_group));
enum class WeightFormat { kAuto, kSbs, kGguf };
cl::opt<WeightFormat> weight_format(
    "weight-format",
    cl::desc("The file --weight-type writes (default: by the type; f32 and "
             "bf16 go to .sbs)"),
    cl::init(WeightFormat::kAuto),
    cl::values(clEnumValN(WeightFormat::kSbs, "sbs", "gemma.cpp's .sbs"),
               clEnumValN(WeightFormat::kGguf, "gguf", "llama.cpp's GGUF")),
    cl::cat(weights_group));
cl::opt<std::string>
    backend("backend",
            cl::desc("Target backend (cpu, vulkan, cuda); default cpu"),
            cl::init("cpu"), cl::cat(plan_group));

int Fail(const std::string &message) {
  return gemma::ReportError("gemma-compile", message);
}

// "31.4 KB", "247.3 MB", "1.30 GB": a size read at a glance.
std::string Size(uint64_t bytes) {
  if (bytes < 1000 * 1000)
    return fmt::format("{:.1f} KB", bytes / 1e3);
  if (bytes < uint64_t(1000) * 1000 * 1000)
    return fmt::format("{:.1f} MB", bytes / 1e6);
  return fmt::format("{:.2f} GB", bytes / 1e9);
}

int WritePlanFile(const gemma::ModelFile &model,
                  const gemma::ModelWeights &weights,
                  const gemma::BuildOptions &build,
                  const std::vector<std::string> &fusions,
                  const std::string &weights_path) {
  using namespace gemma;
  absl::StatusOr<plan::PlanFile> file = plan::CompilePlan(
      model, weights, {build, fusions, backend}, weights_path, output);
  if (!file.ok())
    return Fail(fmt::format("{}: {}", model_path.getValue(),
                            std::string(file.status().message())));
  std::shared_ptr<const MappedFile> mapped;
  std::span<const uint8_t> embedded;
  if (embed_weights) {
    absl::StatusOr<std::shared_ptr<const MappedFile>> opened =
        MappedFile::Open(weights_path);
    if (!opened.ok())
      return Fail(std::string(opened.status().message()));
    mapped = *std::move(opened);
    embedded = mapped->bytes();
    if (embedded.size() != model.file_bytes)
      return Fail(fmt::format("{}: changed while compiling (its size differs)",
                              model_path.getValue()));
    file->meta.weights_embedded = true;
  }
  ProgressBar bar;
  if (absl::Status s = plan::WritePlan(*file, output, embedded,
                                       [&](uint64_t done, uint64_t total) {
                                         bar.Update(done, total,
                                                    "embedding weights");
                                       });
      !s.ok())
    return Fail(std::string(s.message()));
  bar.Finish();
  const plan::PlanMeta &meta = file->meta;
  std::printf(
      "wrote %s: %s, backend %s, prefill [%s], decode [%s], fusions %s, %zu "
      "programs, %s%s\n",
      output.c_str(), meta.model_name.c_str(), meta.backend.c_str(),
      fmt::format("{}", fmt::join(meta.prefill_buckets, ", ")).c_str(),
      fmt::format("{}", fmt::join(meta.decode_buckets, ", ")).c_str(),
      fusions.empty() ? "none"
                      : fmt::format("{}", fmt::join(fusions, ",")).c_str(),
      file->programs.size(),
      Size(std::filesystem::file_size(output.getValue())).c_str(),
      embed_weights ? " (weights embedded)" : "");
  return 0;
}

// The type --weight-type names, with the format it is written in.
std::optional<std::pair<gemma::StoredType, WeightFormat>> ParseConversion() {
  using namespace gemma;
  std::optional<StoredType> type = ParseWeightType(weight_type);
  WeightFormat format = weight_format;
  if (type) {
    if (format == WeightFormat::kAuto)
      format = WeightFormat::kSbs;
  } else {
    for (StoredType t : {StoredType::kF16, StoredType::kQ8_0, StoredType::kQ5_0,
                         StoredType::kQ4_K, StoredType::kQ6_K})
      if (StoredTypeName(t) == weight_type.getValue())
        type = t;
    if (!type || format == WeightFormat::kSbs)
      return std::nullopt;
    format = WeightFormat::kGguf;
  }
  if (format == WeightFormat::kGguf && !IsGgufWeightType(*type))
    return std::nullopt;
  return std::pair(*type, format);
}

// The re-encoded weights' file: beside the plan, named after it and the
// type (model.plan, q8_0: model.q8_0.gguf), never the input's name.
std::string ConvertedWeightsPath(bool gguf) {
  std::string path = output.getValue();
  if (path.ends_with(".plan"))
    path.resize(path.size() - 5);
  return fmt::format("{}.{}.{}", path, weight_type.getValue(),
                     gguf ? "gguf" : "sbs");
}

// Refuses, before any work, outputs that would destroy a file: -o naming
// the input (or a checkpoint's own file, a directory, a missing directory),
// and a re-encoded weight file over any existing file: its name is made
// here, not given by the user, so it replaces nothing.
int CheckOutputs() {
  const std::string inputs[] = {model_path.getValue()};
  if (absl::Status s = gemma::CheckOutputPath(output, inputs); !s.ok())
    return Fail(std::string(s.message()));
  if (emit != Emit::kFile || weight_type.empty())
    return 0;
  std::optional<std::pair<gemma::StoredType, WeightFormat>> conversion =
      ParseConversion();
  if (!conversion)
    return 0; // ConvertAndCompile says what is wrong with the type
  const std::string converted =
      ConvertedWeightsPath(conversion->second == WeightFormat::kGguf);
  std::error_code error;
  if (std::filesystem::exists(converted, error))
    return Fail(fmt::format(
        "{}: exists; --weight-type writes the re-encoded weights there and "
        "never over an existing file: remove it or choose another -o",
        converted));
  if (absl::Status s = gemma::CheckOutputPath(converted, inputs); !s.ok())
    return Fail(std::string(s.message()));
  return 0;
}

// Re-encodes the weights into a file beside the plan (ConvertedWeightsPath),
// then compiles the plan against that file.
int ConvertAndCompile(const gemma::ModelFile &model,
                      const gemma::ModelWeights &weights,
                      const gemma::BuildOptions &options,
                      const std::vector<std::string> &fusions) {
  using namespace gemma;
  std::optional<std::pair<StoredType, WeightFormat>> conversion =
      ParseConversion();
  if (!conversion)
    return Fail(fmt::format(
        "--weight-type: cannot write '{}'{} (.sbs: f32, bf16, sfp, nuq, i8; "
        ".gguf: f32, bf16, f16, q8_0, q5_0, q4_k, q6_k)",
        weight_type.getValue(),
        weight_format == WeightFormat::kAuto  ? ""
        : weight_format == WeightFormat::kSbs ? " as .sbs"
                                              : " as GGUF"));
  const auto [type, format] = *conversion;
  const bool gguf = format == WeightFormat::kGguf;
  const std::string path = ConvertedWeightsPath(gguf);
  ProgressBar bar;
  auto report = [&](uint64_t done, uint64_t total, const std::string &tensor) {
    bar.Update(done, total, tensor);
  };
  absl::Status written = gguf
                             ? ConvertToGguf(model, weights, type, path, report)
                             : ConvertToSbs(model, weights, type, path, report);
  if (!written.ok())
    return Fail(fmt::format("{}: {}", model_path.getValue(),
                            std::string(written.message())));
  bar.Finish();
  absl::StatusOr<ModelFile> converted = LoadModelFile(path);
  if (!converted.ok())
    return Fail(std::string(converted.status().message()));
  absl::StatusOr<ModelWeights> converted_weights = ModelWeightsOf(*converted);
  if (!converted_weights.ok())
    return Fail(std::string(converted_weights.status().message()));
  std::printf("wrote %s: %s weights, %.1f MB\n", path.c_str(),
              weight_type.getValue().c_str(), converted->file_bytes / 1e6);
  return WritePlanFile(*converted, *converted_weights, options, fusions, path);
}

int Run() {
  using namespace gemma;
  if (emit == Emit::kFile && output == "-" && !print_config)
    return Fail("give the .plan file to write with -o (or print a stage "
                "with --emit=gemma|fused|plan)");
  if (output != "-")
    if (int failed = CheckOutputs())
      return failed;
  absl::StatusOr<ModelFile> model = LoadModelFile(model_path);
  if (!model.ok())
    return Fail(std::string(model.status().message()));
  if (print_config) {
    std::printf("%s", FormatModelSpec(model->spec).c_str());
    return 0;
  }
  absl::StatusOr<ModelWeights> weights = ModelWeightsOf(*model);
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
  // The default buckets fit the context they are compiled for: a small
  // --context keeps those below it, or is itself the one bucket.
  const uint32_t positions =
      context_opt ? uint32_t(context_opt) : model->spec.max_context;
  if (prefill_opt.getNumOccurrences() == 0 && positions > 0) {
    std::erase_if(options.prefill_buckets,
                  [&](int64_t bucket) { return bucket > int64_t(positions); });
    if (options.prefill_buckets.empty())
      options.prefill_buckets = {int64_t(positions)};
  }
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
    if (weight_type.empty())
      return WritePlanFile(*model, *weights, options, *fusions, model_path);
    return ConvertAndCompile(*model, *weights, options, *fusions);
  }
  mlir::MLIRContext context;
  absl::StatusOr<mlir::OwningOpRef<mlir::ModuleOp>> module =
      BuildModel(context, model->spec, *weights, *layout);
  if (!module.ok())
    return Fail(fmt::format("{}: {}", model_path.getValue(),
                            std::string(module.status().message())));
  if (emit != Emit::kGemma)
    if (absl::Status s = Fuse(**module, *fusions); !s.ok())
      return Fail(fmt::format("{}: {}", model_path.getValue(),
                              std::string(s.message())));
  if (emit == Emit::kPlan)
    if (absl::Status s = plan::LowerToPlan(**module); !s.ok())
      return Fail(fmt::format("{}: {}", model_path.getValue(),
                              std::string(s.message())));
  if (output == "-") {
    (*module)->print(llvm::outs());
    llvm::outs() << "\n";
    return 0;
  }
  absl::StatusOr<OutputFile> file = OutputFile::Create(output);
  if (!file.ok())
    return Fail(std::string(file.status().message()));
  {
    std::error_code error;
    llvm::raw_fd_ostream out(file->temp_path(), error, llvm::sys::fs::OF_None);
    if (error)
      return Fail(fmt::format("{}: cannot write: {}", output.getValue(),
                              error.message()));
    (*module)->print(out);
    out << "\n";
    out.close();
    if (out.has_error())
      return Fail(fmt::format("{}: cannot write: {}", output.getValue(),
                              out.error().message()));
  }
  if (absl::Status s = file->Commit(); !s.ok())
    return Fail(std::string(s.message()));
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  if (!gemma::ParseToolFlags(argc, argv, "gemma-compile",
                             {&output_group, &plan_group, &weights_group},
                             "gemma-compile: compile a Gemma model\n"))
    return 1;
  return Run();
}
