//===- GgufFuzzer.cpp - Fuzz target: GGUF files as models -----------------===//
//
// Every input must either load (container, hyperparameters, tensor table,
// tokenizer, roles) or be refused with a status; for a loaded model, the
// first row of every tensor is decoded, and the tokenizer it built must
// load in SentencePiece. Nothing may crash or read outside the input.
//
//===----------------------------------------------------------------------===//

#include "runtime/formats/LoadModel.h"
#include "runtime/formats/gguf/GgufVision.h"
#include "runtime/tokenizer/SentencePieceTokenizer.h"
#include "runtime/weights/codecs/Decode.h"

#include <cstddef>
#include <cstdint>
#include <vector>

// The input as llama.cpp's mmproj beside a text model of width 32 (the
// seed's): added, its roles mapped, the first row of each tensor decoded.
void AsMmproj(const uint8_t *data, size_t size) {
  absl::StatusOr<gemma::gguf::GgufFile> file =
      gemma::gguf::GgufFile::FromBytes({data, size}, "fuzz-mmproj.gguf");
  if (!file.ok())
    return;
  gemma::ModelFile model;
  model.spec.model_dim = 32;
  model.vision = gemma::VisionSpec{};
  model.vision->begin_image = 1;
  model.vision->end_image = 2;
  model.vision->image_token = 3;
  if (!gemma::AddMmproj(*std::move(file), model).ok())
    return;
  (void)gemma::MmprojVisionWeights(model);
  std::vector<float> row;
  for (const auto &[name, tensor] : model.tensors) {
    row.resize(tensor.cols);
    gemma::DecodeRange(tensor.type, tensor.bytes.data(), 0, tensor.cols,
                       row.data());
  }
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  AsMmproj(data, size);
  absl::StatusOr<gemma::ModelFile> model =
      gemma::LoadModelFileFromBytes({data, size}, "fuzz.gguf");
  if (!model.ok())
    return 0;
  (void)gemma::ModelWeightsOf(*model);
  std::vector<float> row;
  for (const auto &[name, tensor] : model->tensors) {
    row.resize(tensor.cols);
    gemma::DecodeRange(tensor.type, tensor.bytes.data(), 0, tensor.cols,
                       row.data());
  }
  if (model->tokenizer) {
    std::string error;
    (void)gemma::SentencePieceTokenizer::FromSerializedProto(*model->tokenizer,
                                                             &error);
  }
  return 0;
}
