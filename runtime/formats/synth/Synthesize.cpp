//===- Synthesize.cpp - Write a random-weight model as a .sbs -------------===//

#include "runtime/formats/synth/Synthesize.h"

#include "runtime/formats/OutputFile.h"

#include "runtime/formats/SbsModel.h"
#include "runtime/formats/SbsTensors.h"
#include "runtime/formats/sbs/BlobStore.h"
#include "runtime/formats/sbs/Toc.h"
#include "runtime/formats/synth/SentencePieceModel.h"
#include "runtime/formats/synth/SynthTokenizer.h"
#include "runtime/formats/synth/SynthValues.h"
#include "runtime/weights/codecs/Encode.h"
#include "runtime/weights/codecs/Scale.h"
#include "runtime/weights/codecs/Sfp.h"

#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <vector>

namespace gemma {
namespace {

// Values per encoded chunk: a multiple of the NUQ (256) and I8 (128) groups.
constexpr uint64_t kChunk = 1 << 20;

absl::Status WriteTensor(sbs::BlobWriter &writer, const TensorSlot &slot,
                         const TensorFill &values, uint64_t &done,
                         uint64_t total, const SynthProgress &progress) {
  const float scale = values.scale;
  if (absl::Status status = writer.BeginBlob(slot.name); !status.ok())
    return status;
  const uint64_t n = slot.rows * slot.cols;
  std::vector<float> chunk;
  std::vector<uint8_t> packed;
  for (uint64_t first = 0; first < n; first += kChunk) {
    const uint64_t count = std::min(kChunk, n - first);
    chunk.resize(count);
    values.fill(first, chunk);
    if (scale != 1.0f)
      ApplyInverseScale(chunk, scale);
    packed.resize(PackedBytes(slot.type, count));
    if (absl::Status status = EncodeTensor(slot.type, chunk, packed);
        !status.ok())
      return status;
    if (absl::Status status = writer.Append(packed); !status.ok())
      return status;
    done += packed.size();
    if (progress)
      progress(done, total, slot.name);
  }
  return writer.EndBlob();
}

} // namespace

// Ids past the vocabulary are fine only for pieces matched verbatim (added
// tokens such as Gemma 3's <image_soft_token>) and an unknown piece that byte
// fallback keeps unused: the runtime refuses them when they occur, while
// ordinary text never produces them.
namespace {
absl::StatusOr<std::string> CheckTokenizerFits(const std::string &proto,
                                               const ModelSpec &spec) {
  if (proto == kNoTokenizer)
    return proto;
  absl::StatusOr<SentencePieceModel> model = ParseSentencePieceModel(proto);
  if (!model.ok())
    return model.status();
  for (size_t id = spec.vocab_size; id < model->pieces.size(); ++id)
    if (model->pieces[id].type != PieceType::kUserDefined &&
        model->pieces[id].type != PieceType::kControl &&
        model->pieces[id].type != PieceType::kUnknown)
      return absl::InvalidArgumentError(fmt::format(
          "the tokenizer has {} pieces but the model's vocabulary is {} (piece "
          "{} '{}' would be out of range)",
          model->pieces.size(), spec.vocab_size, id, model->pieces[id].piece));
  return proto;
}
} // namespace

float SynthScale(const TensorSlot &slot, const SynthValues &values) {
  if (slot.type != StoredType::kSFP && slot.type != StoredType::kNUQ)
    return 1.0f;
  return values.MaxAbs() > kSfpMax ? values.MaxAbs() / kSfpMax : 1.0f;
}

absl::Status WriteSbs(const ModelSpec &spec, StoredType weight,
                      const std::string &path, const std::string &tokenizer,
                      const TensorSource &source,
                      const SynthProgress &progress) {
  if (!IsWeightType(weight))
    return absl::InvalidArgumentError(
        fmt::format("weights cannot be stored as {}", StoredTypeName(weight)));
  absl::StatusOr<sbs::ModelConfig> config = SbsConfigFromSpec(spec, weight);
  if (!config.ok())
    return config.status();
  const std::vector<TensorSlot> table = SbsTensorTable(spec, weight);
  uint64_t total = 0;
  for (const TensorSlot &slot : table)
    total += PackedBytes(slot.type, slot.rows * slot.cols);

  absl::StatusOr<OutputFile> file = OutputFile::Create(path);
  if (!file.ok())
    return file.status();
  absl::StatusOr<sbs::BlobWriter> writer =
      sbs::BlobWriter::Create(file->temp_path());
  if (!writer.ok())
    return writer.status();
  std::vector<sbs::TensorRecord> toc;
  uint64_t done = 0;
  for (const TensorSlot &slot : table) {
    absl::StatusOr<TensorFill> values = source(slot);
    absl::Status status =
        values.ok() ? WriteTensor(*writer, slot, *values, done, total, progress)
                    : values.status();
    if (!status.ok())
      return status;
    toc.push_back(sbs::TensorRecord::For(
        slot.name, slot.type, static_cast<uint32_t>(slot.rows),
        static_cast<uint32_t>(slot.cols), values->scale));
  }
  const std::vector<uint8_t> config_bytes = sbs::WriteModelConfig(*config);
  const std::vector<uint8_t> toc_bytes = sbs::WriteToc(toc);
  const std::span<const uint8_t> tokenizer_bytes(
      reinterpret_cast<const uint8_t *>(tokenizer.data()), tokenizer.size());
  for (absl::Status status : {writer->Add("config", config_bytes),
                              writer->Add("tokenizer", tokenizer_bytes),
                              writer->Add("toc", toc_bytes), writer->Finish()})
    if (!status.ok())
      return status;
  return file->Commit();
}

absl::Status SynthesizeSbs(const ModelSpec &spec, StoredType weight,
                           uint64_t seed, const std::string &path,
                           const SynthProgress &progress,
                           const std::optional<std::string> &given_tokenizer) {
  absl::StatusOr<std::string> tokenizer =
      given_tokenizer ? CheckTokenizerFits(*given_tokenizer, spec)
                      : BuildSynthTokenizer(spec.generation, spec.vocab_size);
  if (!tokenizer.ok())
    return tokenizer.status();
  const float gain = StreamGain(spec);
  return WriteSbs(
      spec, weight, path, *tokenizer,
      [&](const TensorSlot &slot) -> absl::StatusOr<TensorFill> {
        auto values =
            std::make_shared<SynthValues>(seed, slot, spec.norm_scale, gain);
        return TensorFill{[values](uint64_t first, std::span<float> out) {
                            values->Fill(first, out);
                          },
                          SynthScale(slot, *values)};
      },
      progress);
}

} // namespace gemma
