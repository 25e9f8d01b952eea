//===- cpu_decode.cpp - Prefill and decode speed of the CPU backend -------===//
//
//   bench-cpu-decode MODEL.sbs [--prompt-len N] [--tokens N] [--threads N]
//       [--fusion all|none|LIST] [--reference]
//
// Prefills a random prompt and decodes greedily, timing both, on the CPU
// backend (and, with --reference, on the reference evaluator in the same
// run for the ratio). Until plans and gemma-exec exist, this is the CPU
// backend's speed measurement.
//
//===----------------------------------------------------------------------===//

#include "compiler/plan/CpuModel.h"
#include "compiler/reference/ModelRunner.h"
#include "compiler/reference/StoredWeights.h"
#include "kernels/cpu/Vector.h"
#include "passes/FusionPipeline.h"
#include "runtime/formats/LoadModel.h"
#include "runtime/formats/SbsWeights.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <random>

namespace {

namespace cl = llvm::cl;

cl::opt<std::string> model_path(cl::Positional, cl::desc("<model.sbs>"),
                                cl::Required);
cl::opt<int> prompt_len("prompt-len", cl::desc("Prompt tokens"), cl::init(32));
cl::opt<int> tokens("tokens", cl::desc("Decode steps"), cl::init(16));
cl::opt<int> threads("threads", cl::desc("Threads (0: one per core)"),
                     cl::init(0));
cl::opt<std::string> fusion("fusion", cl::desc("Fusions (all, none, list)"),
                            cl::init("all"));
cl::opt<bool> with_reference("reference",
                             cl::desc("Also time the reference evaluator"));

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

int Fail(const std::string &message) {
  std::fprintf(stderr, "bench-cpu-decode: error: %s\n", message.c_str());
  return 1;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::ParseCommandLineOptions(argc, argv, "CPU backend speed\n");
  using namespace gemma;
  absl::StatusOr<ModelFile> model = LoadModelFile(model_path);
  if (!model.ok())
    return Fail(std::string(model.status().message()));
  absl::StatusOr<ModelWeights> weights = ModelWeightsOf(*model);
  absl::StatusOr<std::vector<std::string>> fusions = ParseFusions(fusion);
  if (!weights.ok() || !fusions.ok())
    return Fail("bad model or --fusion");
  BuildOptions options;
  options.context = uint32_t(prompt_len + tokens);
  options.prefill_buckets = {prompt_len};
  options.decode_buckets = {1};
  std::mt19937 rng(1);
  std::vector<int32_t> prompt = {2};
  while (int(prompt.size()) < prompt_len)
    prompt.push_back(int32_t(rng() % (model->spec.vocab_size - 3)) + 3);

  auto start = std::chrono::steady_clock::now();
  absl::StatusOr<std::unique_ptr<cpu::CpuModel>> cpu =
      cpu::CpuModel::Create(*model, *weights, options, *fusions, threads);
  if (!cpu.ok())
    return Fail(std::string(cpu.status().message()));
  std::printf("model %s, %s, %d threads, fusion %s, SIMD %s; compile %.2f s\n",
              model->spec.name.c_str(), model_path.c_str(),
              (*cpu)->pool().threads(), fusion.c_str(), cpu::VectorTarget(),
              Seconds(start));
  cpu::CpuCaches caches = (*cpu)->EmptyCaches(1);
  start = std::chrono::steady_clock::now();
  if (absl::Status s = (*cpu)->Prefill(prompt, 0, caches); !s.ok())
    return Fail(std::string(s.message()));
  const double prefill = Seconds(start);
  int32_t token = prompt.back(), position = prompt_len;
  start = std::chrono::steady_clock::now();
  for (int i = 0; i < tokens; ++i, ++position) {
    absl::StatusOr<std::vector<float>> logits =
        (*cpu)->Decode({&token, 1}, {&position, 1}, caches);
    if (!logits.ok())
      return Fail(std::string(logits.status().message()));
    token = int32_t(std::max_element(logits->begin(), logits->end()) -
                    logits->begin());
  }
  const double decode = Seconds(start);
  const double cpu_decode = tokens / decode;
  std::printf("cpu:       prefill %6.1f tok/s (%d tokens), decode %6.2f "
              "tok/s (%d tokens)\n",
              prompt_len / prefill, prompt_len.getValue(), cpu_decode,
              tokens.getValue());

  if (with_reference) {
    absl::StatusOr<std::unique_ptr<reference::ModelRunner>> ref =
        reference::ModelRunner::Create(model->spec, *weights,
                                       reference::StoredWeightProvider(*model),
                                       options);
    if (!ref.ok())
      return Fail(std::string(ref.status().message()));
    reference::KvCaches ref_caches = (*ref)->EmptyCaches(1);
    start = std::chrono::steady_clock::now();
    if (absl::Status s = (*ref)->Prefill(prompt, 0, ref_caches); !s.ok())
      return Fail(std::string(s.message()));
    const double ref_prefill = Seconds(start);
    const int ref_tokens = std::min(tokens.getValue(), 4);
    token = prompt.back();
    position = prompt_len;
    start = std::chrono::steady_clock::now();
    for (int i = 0; i < ref_tokens; ++i, ++position)
      if (!(*ref)->Decode({&token, 1}, {&position, 1}, ref_caches).ok())
        return Fail("reference decode failed");
    const double ref_decode = ref_tokens / Seconds(start);
    std::printf("reference: prefill %6.1f tok/s, decode %6.2f tok/s (%d "
                "tokens); cpu/reference decode %.1fx, prefill %.1fx\n",
                prompt_len / ref_prefill, ref_decode, ref_tokens,
                cpu_decode / ref_decode, ref_prefill / prefill);
  }
  return 0;
}
