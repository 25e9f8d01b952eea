//===- gemma-sbs.cpp - Inspect and synthesize gemma.cpp weight files ------===//
//
//   gemma-sbs info FILE [--json]          (.sbs or GGUF)
//   gemma-sbs synth --preset NAME [--weight TYPE] [--seed N]
//                   [--tokenizer FILE] [-o FILE]
//   gemma-sbs presets
//   gemma-sbs import-tokenizer tokenizer.json -o FILE.model
//   gemma-sbs encode FILE [TEXT] [--jsonl] [--chat FORMAT]
//                                             (.model, tokenizer.json,
//   gemma-sbs decode FILE [IDS] [--jsonl]      .sbs or GGUF)
//
//===----------------------------------------------------------------------===//

#include "runtime/formats/LoadModel.h"
#include "runtime/formats/OutputFile.h"
#include "runtime/formats/SbsModel.h"
#include "runtime/formats/hf/HfCheckpoint.h"
#include "runtime/formats/hf/HfTokenizer.h"
#include "runtime/formats/sbs/SbsFile.h"
#include "runtime/formats/synth/Presets.h"
#include "runtime/formats/synth/Synthesize.h"
#include "tools/common/Errors.h"
#include "tools/common/FlagCheck.h"
#include "tools/common/Progress.h"
#include "tools/common/Version.h"
#include "tools/gemma-sbs/GgufInfo.h"
#include "tools/gemma-sbs/HfInfo.h"
#include "tools/gemma-sbs/SbsInfo.h"
#include "tools/gemma-sbs/TokenizerFiles.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>

namespace cl = llvm::cl;

namespace {

cl::OptionCategory category("gemma-sbs options");

cl::SubCommand info_command("info", "Print the container, config and tensor "
                                    "table of a .sbs, GGUF or Hugging Face "
                                    "checkpoint");
cl::opt<std::string> info_file(cl::Positional,
                               cl::desc("<file.sbs|.gguf|checkpoint-dir>"),
                               cl::Required, cl::sub(info_command));
cl::opt<bool> info_json("json", cl::desc("Print JSON instead of text"),
                        cl::sub(info_command), cl::cat(category));

cl::SubCommand
    synth_command("synth",
                  "Write a random-weight model with a preset's exact shapes");
cl::opt<std::string> preset("preset", cl::desc("Preset name (see 'presets')"),
                            cl::Required, cl::sub(synth_command),
                            cl::cat(category));
cl::opt<std::string>
    weight("weight",
           cl::desc("Matrix type: f32, bf16, sfp, nuq, i8; default sfp"),
           cl::init("sfp"), cl::sub(synth_command), cl::cat(category));
cl::opt<uint64_t> seed("seed", cl::desc("Random seed; default 1"), cl::init(1),
                       cl::sub(synth_command), cl::cat(category));
cl::opt<std::string> output("o",
                            cl::desc("Output file (default PRESET-TYPE.sbs)"),
                            cl::value_desc("file"), cl::sub(synth_command),
                            cl::cat(category));

cl::opt<std::string> synth_tokenizer(
    "tokenizer",
    cl::desc(
        "Embed this tokenizer (SentencePiece .model, Hugging Face "
        "tokenizer.json, or a weight file's) instead of the synthetic one; "
        "'none' writes a file without a tokenizer"),
    cl::value_desc("file"), cl::sub(synth_command), cl::cat(category));

cl::SubCommand presets_command("presets", "List the synthesis presets");

cl::SubCommand import_tokenizer_command(
    "import-tokenizer",
    "Convert a Hugging Face tokenizer.json to a SentencePiece model with the "
    "same ids and the same encoding");
cl::opt<std::string> import_input(cl::Positional, cl::desc("<tokenizer.json>"),
                                  cl::Required,
                                  cl::sub(import_tokenizer_command));
cl::opt<std::string> import_output("o", cl::desc("Output .model file"),
                                   cl::value_desc("file"), cl::Required,
                                   cl::sub(import_tokenizer_command),
                                   cl::cat(category));

cl::SubCommand encode_command("encode", "Print the token ids of a text");
cl::SubCommand decode_command("decode", "Print the text of token ids");
cl::opt<std::string> tokenizer_file(
    cl::Positional, cl::desc("<tokenizer.model|tokenizer.json|.sbs|.gguf>"),
    cl::Required, cl::sub(encode_command), cl::sub(decode_command));
cl::opt<std::string> tokenizer_input(cl::Positional, cl::desc("<text | ids>"),
                                     cl::init(""), cl::sub(encode_command),
                                     cl::sub(decode_command));
cl::opt<std::string> encode_chat(
    "chat",
    cl::desc("Inputs are conversations (JSON arrays of {\"role\", "
             "\"content\"}) wrapped in this chat format: gemma, gemma4, none"),
    cl::value_desc("format"), cl::sub(encode_command), cl::cat(category));
cl::opt<bool>
    jsonl("jsonl",
          cl::desc("Read stdin: one JSON string (encode) or JSON array of ids "
                   "(decode) per line; write one JSON value per line"),
          cl::sub(encode_command), cl::sub(decode_command), cl::cat(category));

int Fail(const std::string &message) {
  return gemma::ReportError("gemma-sbs", message);
}

// What gemma-compile refuses, info reports too, after what it could show:
// its exit status then says whether the file can be compiled.
int CheckCompilable(const std::string &path) {
  absl::StatusOr<gemma::ModelFile> model = gemma::LoadModelFile(path);
  if (!model.ok())
    return Fail(std::string(model.status().message()));
  if (absl::StatusOr<gemma::ModelWeights> weights =
          gemma::ModelWeightsOf(*model);
      !weights.ok())
    return Fail(std::string(weights.status().message()));
  return 0;
}

int Info() {
  if (std::optional<std::string> hint =
          gemma::UnknownFormatHint(info_file.getValue()))
    return Fail(fmt::format("{}: not a GGUF, a gemma.cpp .sbs or a Hugging "
                            "Face checkpoint directory: {}",
                            info_file.getValue(), *hint));
  if (gemma::IsHfCheckpointPath(info_file.getValue())) {
    absl::StatusOr<nlohmann::ordered_json> info =
        gemma::HfInfoJson(info_file.getValue());
    if (!info.ok())
      return Fail(std::string(info.status().message()));
    std::string text =
        info_json ? info->dump(2) + "\n" : gemma::HfInfoText(*info);
    std::fputs(text.c_str(), stdout);
    std::fflush(stdout);
    return CheckCompilable(info_file);
  }
  if (gemma::gguf::HasGgufMagic(info_file.getValue())) {
    absl::StatusOr<gemma::gguf::GgufFile> gguf =
        gemma::gguf::GgufFile::Open(info_file);
    if (!gguf.ok())
      return Fail(std::string(gguf.status().message()));
    std::string text = info_json ? gemma::GgufInfoJson(*gguf).dump(2) + "\n"
                                 : gemma::GgufInfoText(*gguf);
    std::fputs(text.c_str(), stdout);
    std::fflush(stdout);
    return CheckCompilable(info_file);
  }
  absl::StatusOr<gemma::sbs::SbsFile> file =
      gemma::sbs::SbsFile::Open(info_file, gemma::ResolveLegacyModel);
  if (!file.ok())
    return Fail(std::string(file.status().message()));
  std::string text = info_json ? gemma::SbsInfoJson(*file).dump(2) + "\n"
                               : gemma::SbsInfoText(*file);
  std::fputs(text.c_str(), stdout);
  std::fflush(stdout);
  return CheckCompilable(info_file);
}

int Synth() {
  std::optional<gemma::ModelSpec> spec = gemma::PresetSpec(preset);
  if (!spec)
    return Fail(fmt::format("unknown preset '{}' (run 'gemma-sbs presets')",
                            preset.getValue()));
  std::optional<gemma::StoredType> type = gemma::ParseWeightType(weight);
  if (!type)
    return Fail(fmt::format("unknown weight type '{}' (expected f32, bf16, "
                            "sfp, nuq or i8)",
                            weight.getValue()));
  std::string path =
      output.empty()
          ? fmt::format("{}-{}.sbs", preset.getValue(), weight.getValue())
          : output.getValue();
  const std::string inputs[] = {synth_tokenizer.getValue()};
  if (absl::Status s = gemma::CheckOutputPath(path, inputs); !s.ok())
    return Fail(std::string(s.message()));
  std::optional<std::string> tokenizer;
  if (synth_tokenizer == "none") {
    tokenizer = std::string(gemma::kNoTokenizer);
  } else if (!synth_tokenizer.empty()) {
    absl::StatusOr<std::string> proto =
        gemma::LoadTokenizerProto(synth_tokenizer);
    if (!proto.ok())
      return Fail(std::string(proto.status().message()));
    tokenizer = *std::move(proto);
  }
  gemma::ProgressBar bar;
  uint64_t total_bytes = 0;
  absl::Status status = gemma::SynthesizeSbs(
      *spec, *type, seed, path,
      [&](uint64_t done, uint64_t total, const std::string &tensor) {
        total_bytes = total;
        bar.Update(done, total, tensor);
      },
      tokenizer);
  bar.Finish();
  if (!status.ok())
    return Fail(std::string(status.message()));
  std::printf(
      "wrote %s: %s, %s weights, seed %llu, %.1f MB of tensors\n", path.c_str(),
      preset.getValue().c_str(), weight.getValue().c_str(),
      static_cast<unsigned long long>(seed.getValue()), total_bytes / 1e6);
  return 0;
}

int ImportTokenizer() {
  const std::string inputs[] = {import_input.getValue()};
  if (absl::Status s = gemma::CheckOutputPath(import_output, inputs); !s.ok())
    return Fail(std::string(s.message()));
  absl::StatusOr<std::string> proto =
      gemma::HfTokenizerFileToSentencePiece(import_input);
  if (!proto.ok())
    return Fail(std::string(proto.status().message()));
  absl::StatusOr<gemma::OutputFile> file =
      gemma::OutputFile::Create(import_output);
  if (!file.ok())
    return Fail(std::string(file.status().message()));
  std::FILE *out = std::fopen(file->temp_path().c_str(), "wb");
  if (!out)
    return Fail(fmt::format("{}: cannot write: {}", import_output.getValue(),
                            std::strerror(errno)));
  const bool written =
      std::fwrite(proto->data(), 1, proto->size(), out) == proto->size();
  if (std::fclose(out) != 0 || !written)
    return Fail(fmt::format("{}: cannot write: {}", import_output.getValue(),
                            std::strerror(errno)));
  if (absl::Status s = file->Commit(); !s.ok())
    return Fail(std::string(s.message()));
  std::printf("wrote %s: %zu bytes\n", import_output.getValue().c_str(),
              proto->size());
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  if (!gemma::ParseToolFlags(
          argc, argv, "gemma-sbs", {&category},
          "gemma-sbs: inspect and synthesize gemma.cpp .sbs weight files\n"))
    return 1;
  if (info_command)
    return Info();
  if (synth_command)
    return Synth();
  if (import_tokenizer_command)
    return ImportTokenizer();
  if (encode_command)
    return gemma::EncodeCommand(tokenizer_file, tokenizer_input, jsonl,
                                encode_chat);
  if (decode_command)
    return gemma::DecodeCommand(tokenizer_file, tokenizer_input, jsonl);
  if (presets_command) {
    for (const std::string &name : gemma::PresetNames())
      std::printf("%s\n", name.c_str());
    return 0;
  }
  return Fail("expected a subcommand: info, synth, presets, import-tokenizer, "
              "encode or decode (see --help)");
}
