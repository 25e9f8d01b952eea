//===- gemma-exec.cpp - Run a compiled .plan ------------------------------===//
//
//   gemma-exec model.plan --prompt "Why is the sky blue?" [--max-tokens N]
//       [--temperature T] [--top-k K] [--top-p P] [--seed S] [--ignore-eos]
//       [--raw] [--print-ids] [--threads N] [--verbose]
//   gemma-exec model.plan --prompt-ids 2,651,1234 --print-ids
//   gemma-exec model.plan --bench [--bench-prompt-len N] [--max-tokens N]
//       [--bench-warmup N] [--bench-iters N] [--bench-json FILE]
//
// Generation as GEMMA.md 5.2 (and gemma-ref): the prompt's tokens 0..n-2
// are prefilled, the last one is the first decode input; stops at the
// model's eos ids unless --ignore-eos. Text streams to stdout as it is
// generated; timing goes to stderr.
//
//===----------------------------------------------------------------------===//

#include "runtime/exec/PlanSession.h"
#include "runtime/exec/Sampler.h"
#include "runtime/tokenizer/ChatTemplate.h"
#include "runtime/tokenizer/SentencePieceTokenizer.h"
#include "tools/common/IntList.h"
#include "tools/gemma-exec/Bench.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace {

namespace cl = llvm::cl;

cl::OptionCategory category("gemma-exec options");
cl::opt<std::string> plan_path(cl::Positional, cl::desc("<model.plan>"),
                               cl::Required);
cl::opt<std::string>
    prompt_text("prompt",
                cl::desc("Prompt text, wrapped in the model's chat template"),
                cl::value_desc("text"), cl::cat(category));
cl::opt<std::string> prompt_ids(
    "prompt-ids",
    cl::desc("Prompt token ids, comma- or space-separated, used as given (no "
             "BOS added, no template)"),
    cl::value_desc("ids"), cl::cat(category));
cl::opt<bool> raw("raw", cl::desc("With --prompt: BOS + text, no template"),
                  cl::cat(category));
cl::opt<int> max_tokens("max-tokens", cl::desc("Tokens to generate"),
                        cl::init(64), cl::cat(category));
cl::opt<float> temperature("temperature",
                           cl::desc("Sampling temperature (0: greedy)"),
                           cl::init(0.0f), cl::cat(category));
cl::opt<int> top_k("top-k", cl::desc("Sample among the K likeliest (0: all)"),
                   cl::init(0), cl::cat(category));
cl::opt<float> top_p("top-p", cl::desc("Nucleus sampling mass"), cl::init(1.0f),
                     cl::cat(category));
cl::opt<uint64_t> seed("seed", cl::desc("Sampling seed"), cl::init(0),
                       cl::cat(category));
cl::opt<bool> ignore_eos("ignore-eos", cl::desc("Do not stop at eos ids"),
                         cl::cat(category));
cl::opt<bool> print_ids("print-ids",
                        cl::desc("Print the generated ids on one line"),
                        cl::cat(category));
cl::opt<int> threads("threads", cl::desc("Threads (0: one per core)"),
                     cl::init(0), cl::cat(category));
cl::opt<bool> verbose("verbose", cl::desc("Report plan loading and binding"),
                      cl::cat(category));
cl::opt<bool> profile("profile",
                      cl::desc("After the run, print where the time went per "
                               "kernel (calls, ms, share, weight GB/s)"),
                      cl::cat(category));
cl::opt<bool>
    bench("bench",
          cl::desc("Measure prefill and decode speed on a "
                   "deterministic prompt (greedy, --max-tokens steps) "
                   "beside the machine's read bandwidth"),
          cl::cat(category));
cl::opt<int> bench_prompt_len("bench-prompt-len",
                              cl::desc("--bench prompt tokens"), cl::init(32),
                              cl::cat(category));
cl::opt<int> bench_warmup("bench-warmup",
                          cl::desc("--bench iterations not measured"),
                          cl::init(1), cl::cat(category));
cl::opt<int> bench_iters("bench-iters", cl::desc("--bench measured iterations"),
                         cl::init(3), cl::cat(category));
cl::opt<std::string> bench_json("bench-json",
                                cl::desc("Also write the --bench results as "
                                         "JSON to this file"),
                                cl::value_desc("file"), cl::cat(category));

int Fail(const std::string &message) {
  std::fprintf(stderr, "gemma-exec: error: %s\n", message.c_str());
  return 1;
}

double Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

void PrintProfile(const std::vector<gemma::KernelProfile> &kernels) {
  double total = 0;
  for (const gemma::KernelProfile &k : kernels)
    total += k.seconds;
  std::fprintf(stderr, "gemma-exec: profile (prefill and decode)\n");
  std::fprintf(stderr, "  %-14s %8s %10s %7s %10s\n", "kernel", "calls", "ms",
               "share", "weight GB/s");
  for (const gemma::KernelProfile &k : kernels)
    std::fprintf(
        stderr, "  %-14s %8llu %10.1f %6.1f%% %10s\n", k.kernel.c_str(),
        static_cast<unsigned long long>(k.calls), 1e3 * k.seconds,
        total > 0 ? 100.0 * k.seconds / total : 0.0,
        k.weight_bytes && k.seconds > 0
            ? fmt::format("{:.2f}", double(k.weight_bytes) / k.seconds / 1e9)
                  .c_str()
            : "-");
  std::fprintf(stderr, "  %-14s %8s %10.1f\n", "total", "", 1e3 * total);
}

int Bench() {
  using namespace gemma;
  absl::StatusOr<std::unique_ptr<PlanSession>> session =
      PlanSession::Open(plan_path, threads, verbose);
  if (!session.ok())
    return Fail(std::string(session.status().message()));
  return RunBench(**session, plan_path,
                  {bench_prompt_len, max_tokens, bench_warmup, bench_iters,
                   threads, bench_json});
}

int Run() {
  using namespace gemma;
  if (bench) {
    if (!prompt_text.empty() || !prompt_ids.empty())
      return Fail("--bench makes its own prompt: drop --prompt/--prompt-ids "
                  "(--bench-prompt-len sets its length)");
    return Bench();
  }
  if (prompt_text.empty() == prompt_ids.empty())
    return Fail("give exactly one of --prompt and --prompt-ids");
  if (max_tokens < 0)
    return Fail("--max-tokens must not be negative");
  if (temperature < 0 || top_k < 0 || !(top_p > 0 && top_p <= 1))
    return Fail("--temperature >= 0, --top-k >= 0 and --top-p in (0, 1] "
                "expected");
  const auto load = std::chrono::steady_clock::now();
  absl::StatusOr<std::unique_ptr<PlanSession>> session =
      PlanSession::Open(plan_path, threads, verbose);
  if (!session.ok())
    return Fail(std::string(session.status().message()));
  const plan::PlanMeta &meta = (*session)->meta();
  if (verbose)
    std::fprintf(stderr,
                 "gemma-exec: %s: %s, compiler %s, %s, "
                 "loaded in %.2f s\n",
                 plan_path.c_str(), meta.model_name.c_str(),
                 meta.compiler_version.c_str(),
                 (*session)->backend().Describe().c_str(), Since(load));

  std::unique_ptr<SentencePieceTokenizer> tokenizer;
  if (std::optional<std::span<const uint8_t>> proto =
          (*session)->weights().tokenizer) {
    std::string error;
    tokenizer = SentencePieceTokenizer::FromSerializedProto(*proto, &error);
    if (!tokenizer)
      return Fail(fmt::format("the weight file's tokenizer: {}", error));
  }
  std::vector<int32_t> prompt;
  if (!prompt_ids.empty()) {
    absl::StatusOr<std::vector<int32_t>> ids =
        ParseTokenIds(prompt_ids, meta.vocab_size, "prompt-ids");
    if (!ids.ok())
      return Fail(std::string(ids.status().message()));
    prompt = *std::move(ids);
  } else {
    if (!tokenizer)
      return Fail("the weight file has no tokenizer: use --prompt-ids");
    prompt = WrapFirstTurn(*tokenizer,
                           raw ? ChatFormat::kNone
                               : static_cast<ChatFormat>(meta.chat_format),
                           meta.bos_id, prompt_text);
  }
  if (prompt.size() > meta.context)
    return Fail(fmt::format("the prompt has {} tokens, more than the plan's "
                            "context of {} positions",
                            prompt.size(), meta.context));
  if (max_tokens == 0)
    return 0;

  std::unique_ptr<KvCaches> caches = (*session)->NewCaches();
  if (profile)
    (*session)->backend().SetProfiling(true);
  const auto prefill_start = std::chrono::steady_clock::now();
  if (absl::Status s = (*session)->Prefill(
          std::span(prompt).first(prompt.size() - 1), 0, *caches);
      !s.ok())
    return Fail(std::string(s.message()));
  const double prefill = Since(prefill_start);

  Sampler sampler({temperature, top_k, top_p, seed});
  const bool as_ids = print_ids || !tokenizer;
  std::vector<int32_t> generated;
  std::string printed;
  int32_t token = prompt.back(), position = int32_t(prompt.size()) - 1;
  bool hit_context = false;
  const auto decode_start = std::chrono::steady_clock::now();
  for (int step = 0; step < max_tokens; ++step, ++position) {
    if (uint32_t(position) >= meta.context) {
      hit_context = true;
      break;
    }
    absl::StatusOr<std::vector<float>> logits =
        (*session)->Decode(token, position, *caches);
    if (!logits.ok())
      return Fail(std::string(logits.status().message()));
    token = sampler.Next(*logits);
    if (!ignore_eos && std::find(meta.eos_ids.begin(), meta.eos_ids.end(),
                                 token) != meta.eos_ids.end())
      break;
    generated.push_back(token);
    if (!as_ids) {
      // Stream what the text gained (pieces can join across tokens).
      const std::string text = tokenizer->Decode(
          std::vector<int>(generated.begin(), generated.end()));
      if (text.size() > printed.size() && text.starts_with(printed)) {
        std::fputs(text.c_str() + printed.size(), stdout);
        std::fflush(stdout);
        printed = text;
      }
    }
  }
  const double decode = Since(decode_start);
  if (as_ids) {
    std::printf("%s\n", FormatIds(generated).c_str());
  } else {
    std::printf("\n");
  }
  std::fflush(stdout); // before the timing line on stderr
  if (hit_context)
    std::fprintf(stderr,
                 "gemma-exec: stopped at the end of the context (%u "
                 "positions)\n",
                 meta.context);
  std::fprintf(stderr,
               "gemma-exec: prefill %zu tokens in %.3f s (%.1f tok/s), "
               "decode %zu tokens in %.3f s (%.1f tok/s)\n",
               prompt.size() - 1, prefill,
               prefill > 0 ? double(prompt.size() - 1) / prefill : 0.0,
               generated.size(), decode,
               decode > 0 ? double(generated.size()) / decode : 0.0);
  if (profile)
    PrintProfile((*session)->backend().Profile());
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv,
                              "gemma-exec: run a compiled Gemma plan\n");
  return Run();
}
