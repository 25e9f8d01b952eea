//===- gemma-ref.cpp - Run a model with the reference evaluator -----------===//
//
// Builds the gemma IR of a weight file, prefills the prompt and decodes
// greedily, op by op with the reference evaluator: the executable
// specification every backend is compared with. Slow by design.
//
//   gemma-ref model.sbs --prompt-ids 2,1789,639 --max-tokens 8
//   gemma-ref model.sbs --prompt "Why is the sky blue?" --max-tokens 32
//   gemma-ref gemma-3-4b-it/ --image cat.png --prompt "What is this?"
//   gemma-ref gemma-3-4b-it.gguf --mmproj mmproj.gguf --image cat.png ...
//
//===----------------------------------------------------------------------===//

#include "compiler/builder/ModelBuilder.h"
#include "compiler/reference/Generate.h"
#include "compiler/reference/ImagePrompt.h"
#include "compiler/reference/StoredWeights.h"
#include "runtime/formats/LoadModel.h"
#include "runtime/formats/OutputFile.h"
#include "runtime/formats/SbsWeights.h"
#include "runtime/formats/gguf/GgufVision.h"
#include "runtime/tokenizer/ChatTemplate.h"
#include "runtime/tokenizer/SentencePieceTokenizer.h"
#include "tools/common/Errors.h"
#include "tools/common/FlagCheck.h"
#include "tools/common/IntList.h"
#include "tools/common/Version.h"
#include "tools/gemma-ref/LogitsFile.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"

#include <fmt/format.h>

#include <cstdio>
#include <optional>

namespace {

namespace cl = llvm::cl;

cl::OptionCategory category("gemma-ref options");
cl::opt<std::string> model_path(cl::Positional, cl::desc("<model.sbs>"),
                                cl::Required);
cl::opt<std::string> prompt_ids("prompt-ids",
                                cl::desc("Prompt as comma-separated token ids"),
                                cl::value_desc("ids"), cl::cat(category));
cl::opt<std::string>
    prompt_text("prompt",
                cl::desc("Prompt text, wrapped in the model's chat template"),
                cl::value_desc("text"), cl::cat(category));
cl::opt<bool> raw("raw",
                  cl::desc("With --prompt: no chat template (BOS + text)"),
                  cl::cat(category));
cl::opt<int64_t> max_tokens("max-tokens",
                            cl::desc("Tokens to generate; default 16"),
                            cl::init(16), cl::cat(category));
cl::opt<bool> print_ids("print-ids",
                        cl::desc("Print token ids, not text (the default "
                                 "with --prompt-ids)"),
                        cl::cat(category));
cl::opt<bool> ignore_eos("ignore-eos", cl::desc("Do not stop at eos ids"),
                         cl::cat(category));
cl::opt<std::string>
    dump_logits("dump-logits",
                cl::desc("Write every step's logits (.npy: NumPy [steps, "
                         "vocab] f32; else raw little-endian f32)"),
                cl::value_desc("file"), cl::cat(category));
cl::list<std::string> image_paths(
    "image",
    cl::desc("An image (PNG or JPEG) for an image-text model; repeat for "
             "more. With --prompt they open the user turn in order; with "
             "--prompt-ids each run of image tokens takes the next one"),
    cl::value_desc("file"), cl::cat(category));
cl::opt<std::string> mmproj_path(
    "mmproj",
    cl::desc("llama.cpp's mmproj GGUF: the vision tower for the model's "
             "--image prompts"),
    cl::value_desc("file"), cl::cat(category));
cl::opt<uint32_t> context_opt(
    "context",
    cl::desc("KV cache positions (default: prompt + max-tokens, at most the "
             "model's context)"),
    cl::init(0), cl::cat(category));

int Fail(const std::string &message) {
  return gemma::ReportError("gemma-ref", message);
}

// The --prompt text in the model's chat template, with the --image files
// at the start of the user turn as Gemma 3's processor lays them out.
absl::StatusOr<std::vector<int32_t>>
WrapPrompt(const gemma::ModelFile &model,
           const gemma::SentencePieceTokenizer &tokenizer) {
  using namespace gemma;
  const ChatFormat format = raw ? ChatFormat::kNone : model.spec.chat;
  if (image_paths.empty())
    return WrapFirstTurn(tokenizer, format, model.spec.bos_id, prompt_text);
  if (!model.vision) // why: no tower, one not read yet, or one refused
    return VisionWeightsOf(model).status();
  const VisionSpec &v = *model.vision;
  const ImageMarks marks{"<start_of_image>", "<end_of_image>", v.image_token,
                         v.soft_tokens};
  // The marks are spelled as Gemma 3's vocabulary spells them.
  if (tokenizer.Encode(marks.begin) != std::vector<int>{v.begin_image} ||
      tokenizer.Encode(marks.end) != std::vector<int>{v.end_image})
    return absl::InvalidArgumentError(
        fmt::format("{}: the tokenizer does not spell <start_of_image> and "
                    "<end_of_image> as ids {} and {}: use --prompt-ids",
                    model.source, v.begin_image, v.end_image));
  return WrapFirstTurnWithImages(tokenizer, format, model.spec.bos_id,
                                 prompt_text, marks, image_paths.size());
}

int Run() {
  using namespace gemma;
  if (prompt_ids.empty() == prompt_text.empty())
    return Fail("give exactly one of --prompt-ids and --prompt");
  if (max_tokens < 1)
    return Fail("--max-tokens must be at least 1");
  if (!dump_logits.empty()) {
    const std::string inputs[] = {model_path.getValue()};
    if (absl::Status s = CheckOutputPath(dump_logits, inputs); !s.ok())
      return Fail(fmt::format("--dump-logits: {}", std::string(s.message())));
  }
  absl::StatusOr<ModelFile> model = LoadModelFile(model_path);
  if (!model.ok())
    return Fail(std::string(model.status().message()));
  if (!mmproj_path.empty())
    if (absl::Status s = AddMmproj(mmproj_path, *model); !s.ok())
      return Fail(std::string(s.message()));
  const ModelSpec &spec = model->spec;
  if (absl::Status s = CheckBuildable(spec); !s.ok())
    return Fail(
        fmt::format("{}: {}", model_path.getValue(), std::string(s.message())));
  absl::StatusOr<ModelWeights> weights = ModelWeightsOf(*model);
  if (!weights.ok())
    return Fail(std::string(weights.status().message()));

  std::unique_ptr<SentencePieceTokenizer> tokenizer;
  if (model->tokenizer) {
    std::string error;
    tokenizer =
        SentencePieceTokenizer::FromSerializedProto(*model->tokenizer, &error);
    if (!tokenizer)
      return Fail(
          fmt::format("{}: tokenizer: {}", model_path.getValue(), error));
  }
  std::vector<int32_t> prompt;
  if (!prompt_ids.empty()) {
    absl::StatusOr<std::vector<int32_t>> ids =
        ParseTokenIds(prompt_ids, spec.vocab_size, "prompt-ids");
    if (!ids.ok())
      return Fail(std::string(ids.status().message()));
    prompt = *std::move(ids);
  } else {
    if (!tokenizer)
      return Fail(fmt::format("{} has no tokenizer: use --prompt-ids",
                              model_path.getValue()));
    absl::StatusOr<std::vector<int32_t>> wrapped =
        WrapPrompt(*model, *tokenizer);
    if (!wrapped.ok())
      return Fail(std::string(wrapped.status().message()));
    prompt = *std::move(wrapped);
  }
  std::optional<reference::Tensor> soft;
  if (!image_paths.empty()) {
    absl::StatusOr<reference::Tensor> tokens =
        reference::SoftTokensAtRows(*model, prompt, image_paths);
    if (!tokens.ok())
      return Fail(std::string(tokens.status().message()));
    soft = *std::move(tokens);
  }
  const bool as_ids = print_ids || !prompt_ids.empty() || !tokenizer;

  const uint64_t needed = prompt.size() + uint64_t(max_tokens) - 1;
  const uint32_t context =
      context_opt ? context_opt.getValue()
                  : uint32_t(std::min<uint64_t>(needed, spec.max_context));
  if (prompt.size() > context)
    return Fail(fmt::format("the prompt has {} tokens, more than the context "
                            "of {} positions",
                            prompt.size(), context));
  BuildOptions options;
  options.context = context;
  if (prompt.size() > 1)
    options.prefill_buckets = {int64_t(prompt.size()) - 1};
  options.decode_buckets = {1};
  if (soft)
    options.image_token = model->vision->image_token;
  absl::StatusOr<std::unique_ptr<reference::ModelRunner>> runner =
      reference::ModelRunner::Create(
          spec, *weights, reference::StoredWeightProvider(*model), options);
  if (!runner.ok())
    return Fail(std::string(runner.status().message()));

  std::unique_ptr<LogitsFile> logits_file;
  if (!dump_logits.empty()) {
    absl::StatusOr<std::unique_ptr<LogitsFile>> opened =
        LogitsFile::Create(dump_logits, spec.vocab_size);
    if (!opened.ok())
      return Fail(std::string(opened.status().message()));
    logits_file = *std::move(opened);
  }
  reference::GreedyOptions greedy;
  greedy.max_tokens = max_tokens;
  greedy.ignore_eos = ignore_eos;
  if (soft)
    greedy.soft = &*soft;
  absl::Status write_status = absl::OkStatus();
  if (logits_file)
    greedy.on_logits = [&](int64_t, const reference::Tensor &logits) {
      if (write_status.ok())
        write_status = logits_file->Append(logits.data);
    };
  absl::StatusOr<reference::GreedyResult> result =
      reference::GenerateGreedy(**runner, prompt, greedy);
  if (!result.ok())
    return Fail(std::string(result.status().message()));
  if (logits_file && write_status.ok())
    write_status = logits_file->Finish();
  if (!write_status.ok())
    return Fail(std::string(write_status.message()));

  if (as_ids) {
    std::printf("%s\n", FormatIds(result->tokens).c_str());
  } else {
    std::vector<int> ids(result->tokens.begin(), result->tokens.end());
    std::printf("%s\n", tokenizer->Decode(ids).c_str());
  }
  if (result->hit_context)
    std::fprintf(stderr,
                 "gemma-ref: stopped at the end of the context (%u "
                 "positions)\n",
                 context);
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  if (!gemma::ParseToolFlags(argc, argv, "gemma-ref", {&category},
                             "gemma-ref: greedy generation with the "
                             "reference evaluator\n"))
    return 1;
  return Run();
}
