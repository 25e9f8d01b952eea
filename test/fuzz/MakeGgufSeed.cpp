//===- MakeGgufSeed.cpp - A tiny GGUF to seed the GGUF fuzzer -------------===//
//
//   make-gguf-seed OUT.gguf
// writes the tiny-gemma3 preset (f32, random weights) as llama.cpp would,
// with a small SentencePiece-style vocabulary.
//
//===----------------------------------------------------------------------===//

#include "runtime/formats/SbsModel.h"
#include "runtime/formats/SbsWeights.h"
#include "runtime/formats/synth/Presets.h"
#include "runtime/formats/synth/Synthesize.h"
#include "test/unit/runtime/formats/gguf/SbsToGguf.h"

#include <cstdio>
#include <fstream>

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make-gguf-seed OUT.gguf\n");
    return 2;
  }
  const std::string sbs = std::string(argv[1]) + ".sbs";
  std::optional<gemma::ModelSpec> spec = gemma::PresetSpec("tiny-gemma3");
  if (!spec ||
      !gemma::SynthesizeSbs(*spec, gemma::StoredType::kF32, 3, sbs).ok())
    return 1;
  absl::StatusOr<gemma::ModelFile> model = gemma::LoadSbsModel(sbs);
  if (!model.ok())
    return 1;
  absl::StatusOr<gemma::ModelWeights> weights = gemma::SbsModelWeights(*model);
  if (!weights.ok())
    return 1;
  std::vector<std::string> tokens;
  std::vector<float> scores;
  std::vector<int32_t> types;
  for (uint32_t id = 0; id < model->spec.vocab_size; ++id) {
    tokens.push_back(id < 4 ? std::vector<std::string>{"<pad>", "<eos>",
                                                       "<bos>", "<unk>"}[id]
                            : "\xe2\x96\x81t" + std::to_string(id));
    scores.push_back(-float(id));
    types.push_back(id < 4 ? 3 : 1);
  }
  std::vector<uint8_t> bytes = gemma::testing::AsGguf(
      *model, *weights, [&](gemma::testing::GgufBuilder &b) {
        b.String("tokenizer.ggml.model", "llama");
        b.StringArray("tokenizer.ggml.tokens", tokens);
        b.Array<float>("tokenizer.ggml.scores", 6, scores);
        b.Array<int32_t>("tokenizer.ggml.token_type", 5, types);
      });
  std::remove(sbs.c_str());
  std::ofstream(argv[1], std::ios::binary)
      .write(reinterpret_cast<const char *>(bytes.data()),
             std::streamsize(bytes.size()));
  return 0;
}
