//===- gemma-exec.cpp - Run a compiled .plan ------------------------------===//
//
//   gemma-exec model.plan --prompt "Why is the sky blue?" [--system TEXT]
//       [--max-tokens N] [--temperature T] [--top-k K] [--top-p P]
//       [--min-p P] [--repeat-penalty R] [--repeat-last-n N] [--seed S]
//       [--ignore-eos] [--raw] [--print-ids] [--threads N] [--verbose]
//   gemma-exec model.plan --chat [--system TEXT] [sampling flags]
//   gemma-exec model.plan --prompt-ids 2,651,1234 --print-ids
//   gemma-exec model.plan --encode TEXT | --decode IDS
//   gemma-exec model.plan --print-config | --print-backend
//   gemma-exec model.plan --bench [--bench-prompt-len N] [--max-tokens N]
//       [--bench-warmup N] [--bench-iters N] [--bench-json FILE]
//
// Generation as docs/gemma-math.md 5.2 (and gemma-ref): the prompt's tokens
// 0..n-2 are prefilled, the last one is the first decode input; stops at the
// model's eos ids unless --ignore-eos. Text streams to stdout as it is
// generated; timing goes to stderr. docs/cli.md documents every flag.
//
//===----------------------------------------------------------------------===//

#include "kernels/cpu/GemmBf16.h"
#include "runtime/exec/Conversation.h"
#include "runtime/exec/PlanSession.h"
#include "runtime/exec/Sampler.h"
#include "runtime/formats/OutputFile.h"
#include "runtime/tokenizer/ChatTemplate.h"
#include "runtime/tokenizer/SentencePieceTokenizer.h"
#include "tools/common/Errors.h"
#include "tools/common/FlagCheck.h"
#include "tools/common/HubModel.h"
#include "tools/common/IntList.h"
#include "tools/common/PlanCache.h"
#include "tools/common/Progress.h"
#include "tools/common/TextStream.h"
#include "tools/common/Utf8.h"
#include "tools/common/Version.h"
#include "tools/gemma-exec/Bench.h"
#include "tools/gemma-exec/Chat.h"
#include "tools/gemma-exec/Inspect.h"
#include "tools/gemma-exec/ProfileTable.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <new>
#include <random>
#include <thread>

namespace {

namespace cl = llvm::cl;

cl::OptionCategory input("Input");
cl::OptionCategory generation("Generation and sampling");
cl::OptionCategory utilities("Tokenizer and inspection");
cl::OptionCategory running("Running");
cl::OptionCategory benchmark("Benchmark");

cl::opt<std::string> plan_path(
    cl::Positional,
    cl::desc("<model.plan | model.gguf | model.sbs | checkpoint-dir>"));
cl::opt<std::string> model_flag("model",
                                cl::desc("The .plan (instead of the "
                                         "positional argument)"),
                                cl::value_desc("file"), cl::cat(input));

gemma::HubModelFlags hub_model(
    input,
    "A Hugging Face repository instead of a file, as llama.cpp's -hf: "
    "gemma-fetch downloads it into Hugging Face's shared cache (or finds it "
    "there); QUANT picks the GGUF (default Q4_K_M)",
    "The file of --hf-repo to run");

cl::opt<std::string>
    prompt_text("prompt",
                cl::desc("Prompt text, wrapped in the model's chat template"),
                cl::value_desc("text"), cl::cat(input));
cl::opt<std::string> prompt_ids(
    "prompt-ids",
    cl::desc("Prompt token ids, comma- or space-separated, used as given (no "
             "BOS added, no template)"),
    cl::value_desc("ids"), cl::cat(input));
cl::opt<bool> chat("chat",
                   cl::desc("Interactive chat on stdin: streaming replies, "
                            "the cache kept across turns; /reset, /stats, "
                            "/exit"),
                   cl::cat(input));
cl::opt<std::string> system_text(
    "system",
    cl::desc("System instructions: a system turn where the generation has "
             "one (Gemma 4), else the start of the first user turn"),
    cl::value_desc("text"), cl::cat(input));
cl::opt<bool> raw("raw",
                  cl::desc("BOS + text, no chat template (with --prompt or "
                           "--chat)"),
                  cl::cat(input));

cl::opt<int>
    max_tokens("max-tokens",
               cl::desc("Tokens to generate (per reply in --chat); default 64"),
               cl::init(64), cl::cat(generation));
cl::opt<float>
    temperature("temperature",
                cl::desc("Sampling temperature (0: greedy); default 0"),
                cl::init(0.0f), cl::cat(generation));
cl::opt<int> top_k("top-k",
                   cl::desc("Sample among the K likeliest (0: all); default 0"),
                   cl::init(0), cl::cat(generation));
cl::opt<float> top_p("top-p",
                     cl::desc("Nucleus: the likeliest ids whose mass reaches "
                              "P (1: all); default 1"),
                     cl::init(1.0f), cl::cat(generation));
cl::opt<float> min_p("min-p",
                     cl::desc("Drop ids less than P times as likely as the "
                              "likeliest (0: none); default 0"),
                     cl::init(0.0f), cl::cat(generation));
cl::opt<float> repeat_penalty(
    "repeat-penalty",
    cl::desc("Divide the positive logits (multiply the "
             "negative ones) of recent ids by R (1: none); default 1"),
    cl::init(1.0f), cl::cat(generation));
cl::opt<int> repeat_last_n("repeat-last-n",
                           cl::desc("How many recent ids --repeat-penalty "
                                    "looks at; default 64"),
                           cl::init(64), cl::cat(generation));
cl::opt<uint64_t> seed("seed",
                       cl::desc("Sampling seed (default: a random one, "
                                "printed with --verbose)"),
                       cl::cat(generation));
cl::opt<bool> ignore_eos("ignore-eos", cl::desc("Do not stop at eos ids"),
                         cl::cat(generation));
cl::opt<bool> print_ids("print-ids",
                        cl::desc("Print the generated ids on one line"),
                        cl::cat(generation));

// llama.cpp's spellings of the same flags (llama-cli, llama-server), so
// that its users' habits work here.
cl::alias model_short("m", cl::desc("Alias for --model"),
                      cl::aliasopt(model_flag));
cl::alias prompt_short("p", cl::desc("Alias for --prompt"),
                       cl::aliasopt(prompt_text));
cl::alias n_predict("n-predict", cl::desc("Alias for --max-tokens"),
                    cl::aliasopt(max_tokens));
cl::alias n_predict_short("n", cl::desc("Alias for --max-tokens"),
                          cl::aliasopt(max_tokens));
cl::alias temp("temp", cl::desc("Alias for --temperature"),
               cl::aliasopt(temperature));
cl::alias seed_short("s", cl::desc("Alias for --seed"), cl::aliasopt(seed));
cl::alias conversation("conversation", cl::desc("Alias for --chat"),
                       cl::aliasopt(chat));
cl::alias conversation_short("cnv", cl::desc("Alias for --chat"),
                             cl::aliasopt(chat));
cl::alias interactive("interactive", cl::desc("Alias for --chat"),
                      cl::aliasopt(chat));
cl::alias interactive_short("i", cl::desc("Alias for --chat"),
                            cl::aliasopt(chat));
cl::alias system_prompt("system-prompt", cl::desc("Alias for --system"),
                        cl::aliasopt(system_text));
cl::alias system_short("sys", cl::desc("Alias for --system"),
                       cl::aliasopt(system_text));

cl::opt<std::string> encode_text("encode",
                                 cl::desc("Print the token ids of TEXT (no "
                                          "BOS, no template) and exit"),
                                 cl::value_desc("text"), cl::cat(utilities));
cl::opt<std::string> decode_ids("decode",
                                cl::desc("Print the text of token IDS and "
                                         "exit"),
                                cl::value_desc("ids"), cl::cat(utilities));
cl::opt<bool> print_config("print-config",
                           cl::desc("Print the model (every layer's type, "
                                    "window and RoPE) and the plan, and exit"),
                           cl::cat(utilities));
cl::opt<bool> print_backend("print-backend",
                            cl::desc("Print the backend, ISA target, threads, "
                                     "devices and cache directory, and exit"),
                            cl::cat(utilities));

cl::opt<int> threads("threads",
                     cl::desc("Threads (0: one per core); default 0"),
                     cl::init(0), cl::cat(running));
cl::alias threads_short("t", cl::desc("Alias for --threads"),
                        cl::aliasopt(threads));
cl::opt<uint32_t> ctx_size(
    "ctx-size",
    cl::desc("KV cache positions to compile a weight file for (default: "
             "4096, or the model's maximum if smaller); with a .plan, at "
             "most the plan's"),
    cl::value_desc("N"), cl::init(0), cl::cat(running));
cl::alias ctx_size_short("c", cl::desc("Alias for --ctx-size"),
                         cl::aliasopt(ctx_size));
cl::opt<std::string>
    device("device",
           cl::desc("Run on this backend instead of the plan's: cpu, vulkan, "
                    "vulkan:N, cuda, cuda:N (N from --print-backend), "
                    "cuda-sim (the CUDA kernels emulated on the CPU)"),
           cl::value_desc("name"), cl::cat(running));
cl::opt<std::string> prefill_math(
    "prefill-math",
    cl::desc("Arithmetic of the CPU backend's prefill matmuls: f32 (exact, "
             "the default) or bf16 (activations and weights rounded to bf16 "
             "for AVX512-BF16's dot products, about twice the f32 rate; "
             "decode stays f32)"),
    cl::init("f32"), cl::value_desc("f32|bf16"), cl::cat(running));
cl::opt<bool> verbose("verbose",
                      cl::desc("Report plan loading, binding, and each chat "
                               "turn's cache use"),
                      cl::cat(running));
cl::opt<bool> profile("profile",
                      cl::desc("After the run, print where the time went per "
                               "kernel (calls, ms, share, weight GB/s)"),
                      cl::cat(running));

cl::opt<bool>
    bench("bench",
          cl::desc("Measure prefill and decode speed on a "
                   "deterministic prompt (greedy, --max-tokens steps) "
                   "beside the machine's read bandwidth"),
          cl::cat(benchmark));
cl::opt<int> bench_prompt_len("bench-prompt-len",
                              cl::desc("--bench prompt tokens; default 32"),
                              cl::init(32), cl::cat(benchmark));
cl::opt<int>
    bench_warmup("bench-warmup",
                 cl::desc("--bench iterations not measured; default 1"),
                 cl::init(1), cl::cat(benchmark));
cl::opt<int> bench_iters("bench-iters",
                         cl::desc("--bench measured iterations; default 3"),
                         cl::init(3), cl::cat(benchmark));
cl::opt<std::string> bench_json("bench-json",
                                cl::desc("Also write the --bench results as "
                                         "JSON to this file"),
                                cl::value_desc("file"), cl::cat(benchmark));

int Fail(const std::string &message) {
  return gemma::ReportError("gemma-exec", message);
}

double Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

// Which of the mutually exclusive modes the flags ask for; one line when
// they ask for more than one.
absl::StatusOr<std::string> Mode() {
  std::vector<std::string> modes;
  auto add = [&](bool on, const char *name) {
    if (on)
      modes.push_back(name);
  };
  add(bench, "--bench");
  add(chat, "--chat");
  // Given counts, not values: an empty prompt is a prompt.
  add(prompt_text.getNumOccurrences() > 0, "--prompt");
  add(prompt_ids.getNumOccurrences() > 0, "--prompt-ids");
  add(encode_text.getNumOccurrences() > 0, "--encode");
  add(decode_ids.getNumOccurrences() > 0, "--decode");
  add(print_config, "--print-config");
  add(print_backend, "--print-backend");
  if (modes.empty())
    return absl::InvalidArgumentError(
        "nothing to do: give --prompt, --prompt-ids, --chat, --bench, "
        "--encode, --decode, --print-config or --print-backend");
  if (modes.size() > 1)
    return absl::InvalidArgumentError(
        fmt::format("{} and {} cannot be combined", modes[0], modes[1]));
  return modes[0];
}

// A base (pretrained) model has no chat template: its "chat" and templated
// prompts are plain text continued, which users should hear before they
// read its replies as answers.
void NoteBaseModel(const gemma::plan::PlanMeta &meta) {
  if (!raw && static_cast<gemma::ChatFormat>(meta.chat_format) ==
                  gemma::ChatFormat::kNone)
    std::fprintf(stderr,
                 "gemma-exec: note: %s has no chat template (a base, "
                 "pretrained model, not instruction-tuned): the text is "
                 "continued, not answered (--raw does this without the "
                 "note)\n",
                 meta.model_name.c_str());
}

gemma::SamplingOptions Sampling() {
  return {.temperature = temperature,
          .top_k = top_k,
          .top_p = top_p,
          .min_p = min_p,
          .repetition_penalty = repeat_penalty,
          .seed = seed};
}

// "prefill 31 tokens in 0.052 s (596.2 tok/s)", "decode 1 token in ...",
// or `none` when there were no tokens (no rate of nothing).
std::string TimingPart(const char *what, size_t tokens, double seconds,
                       const char *none) {
  if (tokens == 0)
    return none;
  return fmt::format("{} {} token{} in {:.3f} s ({:.1f} tok/s)", what, tokens,
                     tokens == 1 ? "" : "s", seconds,
                     seconds > 0 ? double(tokens) / seconds : 0.0);
}

int Generate(gemma::PlanSession &session,
             const gemma::SentencePieceTokenizer *tokenizer) {
  using namespace gemma;
  const plan::PlanMeta &meta = session.meta();
  std::vector<int32_t> prompt;
  if (prompt_ids.getNumOccurrences() > 0) {
    absl::StatusOr<std::vector<int32_t>> ids =
        ParseTokenIds(prompt_ids, meta.vocab_size, "prompt-ids");
    if (!ids.ok())
      return Fail(std::string(ids.status().message()));
    prompt = *std::move(ids);
  } else {
    if (!tokenizer)
      return Fail("the weight file has no tokenizer: use --prompt-ids");
    NoteBaseModel(meta);
    prompt = WrapFirstTurn(*tokenizer,
                           raw ? ChatFormat::kNone
                               : static_cast<ChatFormat>(meta.chat_format),
                           meta.bos_id, prompt_text, system_text);
  }
  if (prompt.size() > meta.context)
    return Fail(fmt::format("the prompt has {} tokens, more than the plan's "
                            "context of {} positions",
                            prompt.size(), meta.context));
  if (max_tokens == 0)
    return 0;

  if (profile)
    session.backend().SetProfiling(true);
  Conversation conversation(session);
  // A prefill longer than a second shows its progress on a terminal.
  ProgressBar bar;
  const auto prefill_start = std::chrono::steady_clock::now();
  absl::StatusOr<AppendStats> prefill =
      conversation.Append(prompt, [&](size_t done, size_t total) {
        bar.UpdateCount(done, total, "tokens", prefill_start,
                        std::chrono::seconds(1));
        return true;
      });
  bar.Finish();
  if (!prefill.ok())
    return Fail(std::string(prefill.status().message()));

  Sampler sampler(Sampling());
  const bool as_ids = print_ids || !tokenizer;
  std::vector<int32_t> generated;
  std::optional<TextStream> stream;
  if (!as_ids)
    stream.emplace(*tokenizer);
  absl::StatusOr<ReplyStats> reply =
      conversation.Reply(sampler,
                         {.max_tokens = max_tokens,
                          .ignore_eos = ignore_eos,
                          .penalty_window = size_t(repeat_last_n)},
                         [&](int32_t id) {
                           generated.push_back(id);
                           if (stream)
                             PrintNow(stream->Add(id));
                         });
  if (!reply.ok())
    return Fail(std::string(reply.status().message()));
  if (as_ids)
    std::printf("%s\n", FormatIds(generated).c_str());
  else
    std::printf("%s\n", stream->Finish().c_str());
  std::fflush(stdout); // before the timing line on stderr
  if (reply->hit_context)
    std::fprintf(stderr,
                 "gemma-exec: stopped at the end of the context (%u "
                 "positions)\n",
                 meta.context);
  std::fprintf(
      stderr, "gemma-exec: %s, %s\n",
      TimingPart("prefill", prefill->prefilled, prefill->seconds,
                 "nothing to prefill (a one-token prompt)")
          .c_str(),
      TimingPart("decode", reply->tokens, reply->seconds, "nothing decoded")
          .c_str());
  if (profile)
    gemma::PrintProfile("prefill and decode", session.backend().Profile());
  return 0;
}

// The flags' values and combinations, checked before the model is read:
// the first problem, or OK (after --prefill-math bf16 is switched on).
absl::Status CheckFlags(const std::string &mode) {
  using namespace gemma;
  if (max_tokens < 0)
    return absl::InvalidArgumentError("--max-tokens must not be negative");
  // More threads than cores wait for one another at every kernel of every
  // step (measured: 1000 threads on 2 cores, 15x slower).
  const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
  if (threads < 0 || threads > 4 * cores)
    return absl::InvalidArgumentError(
        fmt::format("--threads {}: give 1 to {} (4x this machine's "
                    "{} cores), or 0 for one per core",
                    int(threads), 4 * cores, cores));
  if (threads > cores)
    std::fprintf(stderr,
                 "gemma-exec: warning: --threads %d is more than this "
                 "machine's %d cores: the extra threads slow every step\n",
                 int(threads), cores);
  if (repeat_last_n < 0)
    return absl::InvalidArgumentError("--repeat-last-n must not be negative");
  if (std::string why = Sampling().Check(); !why.empty())
    return absl::InvalidArgumentError(why);
  if (mode == "--bench" && (raw || !system_text.empty()))
    return absl::InvalidArgumentError(
        "--bench makes its own prompt: drop --raw/--system");
  for (const auto &[flag, text] : {std::pair{"--prompt", &prompt_text},
                                   std::pair{"--system", &system_text},
                                   std::pair{"--encode", &encode_text}})
    if (std::optional<size_t> at = InvalidUtf8At(*text))
      return absl::InvalidArgumentError(
          fmt::format("{} is not valid UTF-8 (byte {})", flag, *at));

  if (prefill_math != "f32" && prefill_math != "bf16")
    return absl::InvalidArgumentError(
        fmt::format("--prefill-math: unknown '{}' (f32 or bf16)",
                    std::string(prefill_math)));
  if (prefill_math == "bf16") {
    if (!device.empty() && device != "cpu")
      return absl::InvalidArgumentError(
          "--prefill-math bf16 is a CPU backend mode; --device " + device +
          " runs its own arithmetic");
    if (!cpu::Bf16GemmSupported())
      return absl::InvalidArgumentError(
          "--prefill-math bf16: this CPU has no AVX512-BF16 (Zen 4, "
          "Sapphire Rapids and later have it); use f32");
    cpu::SetPrefillBf16(true);
  }

  // An unwritable --bench-json is found now, not after the benchmark.
  if (!bench_json.empty()) {
    const std::string inputs[] = {plan_path.getValue()};
    if (absl::Status s = CheckOutputPath(bench_json, inputs); !s.ok())
      return absl::InvalidArgumentError(
          fmt::format("--bench-json: {}", std::string(s.message())));
  }
  return absl::OkStatus();
}

int Run() {
  using namespace gemma;
  if (!model_flag.empty() && !plan_path.empty())
    return Fail(fmt::format("two models given: '{}' and -m/--model '{}'",
                            plan_path.getValue(), model_flag.getValue()));
  if (!model_flag.empty())
    plan_path.setValue(model_flag.getValue());
  if (absl::Status s = hub_model.Check(plan_path); !s.ok())
    return Fail(std::string(s.message()));
  if (hub_model.given()) {
    absl::StatusOr<std::string> fetched = hub_model.Fetch("gemma-exec");
    if (!fetched.ok())
      return Fail(std::string(fetched.status().message()));
    plan_path.setValue(*fetched);
  }
  if (plan_path.empty())
    return Fail("give the model: gemma-exec MODEL.plan [flags] (or -m "
                "MODEL.plan); see --help");
  // Sampling is random unless a seed is given; --verbose prints the one
  // drawn, so that any run can be repeated.
  if (seed.getNumOccurrences() == 0)
    seed.setValue(std::random_device{}() | uint64_t(std::random_device{}())
                                               << 32);
  if (verbose)
    std::fprintf(stderr, "gemma-exec: seed %llu\n",
                 static_cast<unsigned long long>(seed.getValue()));
  absl::StatusOr<std::string> mode = Mode();
  if (!mode.ok())
    return Fail(std::string(mode.status().message()));
  if (absl::Status s = CheckFlags(*mode); !s.ok())
    return Fail(std::string(s.message()));

  // A weight file or checkpoint runs as llama.cpp's do: compiled once into
  // the user's cache.
  const bool given_plan = IsPlanFile(plan_path);
  PlanRequest request;
  request.model = plan_path;
  request.context = ctx_size;
  request.verbose = verbose;
  absl::StatusOr<std::string> resolved = ResolvePlan(request);
  if (!resolved.ok())
    return Fail(std::string(resolved.status().message()));
  plan_path.setValue(*resolved);

  const auto load = std::chrono::steady_clock::now();
  absl::StatusOr<std::unique_ptr<PlanSession>> opened =
      PlanSession::Open(plan_path, threads, verbose, device);
  if (!opened.ok())
    return Fail(std::string(opened.status().message()));
  PlanSession &session = **opened;
  const plan::PlanMeta &meta = session.meta();
  if (given_plan && ctx_size > meta.context)
    return Fail(fmt::format(
        "-c/--ctx-size {}: the plan holds {} positions (compile it with "
        "gemma-compile --context {})",
        uint32_t(ctx_size), meta.context, uint32_t(ctx_size)));
  if (verbose)
    std::fprintf(stderr,
                 "gemma-exec: %s: %s, compiler %s, %s, "
                 "loaded in %.2f s\n",
                 plan_path.c_str(), meta.model_name.c_str(),
                 meta.compiler_version.c_str(),
                 session.backend().Describe().c_str(), Since(load));

  if (*mode == "--bench")
    return RunBench(session, plan_path,
                    {bench_prompt_len, max_tokens, bench_warmup, bench_iters,
                     threads, bench_json, seed, profile});
  if (*mode == "--print-config") {
    std::fputs(PlanConfigText(session).c_str(), stdout);
    return 0;
  }
  if (*mode == "--print-backend") {
    std::fputs(BackendText(session).c_str(), stdout);
    return 0;
  }

  std::unique_ptr<SentencePieceTokenizer> tokenizer;
  if (std::optional<std::span<const uint8_t>> proto =
          session.weights().tokenizer) {
    std::string error;
    tokenizer = SentencePieceTokenizer::FromSerializedProto(*proto, &error);
    if (!tokenizer)
      return Fail(fmt::format("the weight file's tokenizer: {}", error));
  }
  const bool needs_tokenizer = *mode == "--encode" || *mode == "--decode" ||
                               *mode == "--chat" || *mode == "--prompt";
  if (needs_tokenizer && !tokenizer)
    return Fail(fmt::format("the weight file has no tokenizer: {} needs one "
                            "(--prompt-ids works without)",
                            *mode));
  if (*mode == "--encode") {
    std::vector<int> ids = tokenizer->Encode(encode_text);
    std::printf(
        "%s\n",
        FormatIds(std::vector<int32_t>(ids.begin(), ids.end())).c_str());
    return 0;
  }
  if (*mode == "--decode") {
    absl::StatusOr<std::vector<int32_t>> ids =
        ParseTokenIds(decode_ids, uint32_t(tokenizer->VocabSize()), "decode");
    if (!ids.ok())
      return Fail(std::string(ids.status().message()));
    std::printf(
        "%s\n",
        tokenizer->Decode(std::vector<int>(ids->begin(), ids->end())).c_str());
    return 0;
  }
  if (*mode == "--chat") {
    NoteBaseModel(meta);
    return RunChat(session, *tokenizer,
                   {.system = system_text,
                    .format = raw ? ChatFormat::kNone
                                  : static_cast<ChatFormat>(meta.chat_format),
                    .sampling = Sampling(),
                    .reply = {.max_tokens = max_tokens,
                              .ignore_eos = ignore_eos,
                              .penalty_window = size_t(repeat_last_n)},
                    .verbose = verbose});
  }
  return Generate(session, tokenizer.get());
}

} // namespace

// llama.cpp's flags that have no counterpart here, and what does the job.
const std::map<std::string, std::string, std::less<>> kLlamaCppHints = {
    {"ngl", "the whole model runs on one device here: --device cuda or "
            "--device vulkan (see --print-backend)"},
    {"n-gpu-layers", "the whole model runs on one device here: --device cuda "
                     "or --device vulkan (see --print-backend)"},
    {"b", "prefill batches are the plan's buckets: gemma-compile "
          "--prefill-buckets"},
    {"batch-size", "prefill batches are the plan's buckets: gemma-compile "
                   "--prefill-buckets"},
    {"ub", "prefill batches are the plan's buckets: gemma-compile "
           "--prefill-buckets"},
    {"ubatch-size", "prefill batches are the plan's buckets: gemma-compile "
                    "--prefill-buckets"},
    {"fa", "attention is always fused here (gemma-compile --fusion)"},
    {"flash-attn", "attention is always fused here (gemma-compile --fusion)"},
    {"ctk", "the KV cache keeps f32 here, for exact results"},
    {"cache-type-k", "the KV cache keeps f32 here, for exact results"},
    {"ctv", "the KV cache keeps f32 here, for exact results"},
    {"cache-type-v", "the KV cache keeps f32 here, for exact results"},
    {"mlock", "weights are mapped and read ahead at load; there is no "
              "locking"},
    {"no-mmap", "weights are always mapped (never copied)"},
    {"f", "give the text itself: -p \"$(cat FILE)\""},
    {"file", "give the text itself: -p \"$(cat FILE)\""},
};

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  if (!gemma::ParseToolFlags(
          argc, argv, "gemma-exec",
          {&input, &generation, &utilities, &running, &benchmark},
          "gemma-exec: run a compiled Gemma plan\n", kLlamaCppHints))
    return 1;
  // Backends allocate KV caches without a status to return (host pages,
  // device buffers): memory that runs out is one line, not an abort.
  try {
    return Run();
  } catch (const std::bad_alloc &) {
    std::fprintf(stderr,
                 "gemma-exec: error: out of memory (the weights, KV caches "
                 "and activations do not fit: compile the plan with a smaller "
                 "--context, or use a device with more memory)\n");
    return 1;
  }
}
