//===- TinyModel.h - A synthesized tiny model for whole-model tests -*- C++
//-*-===//

#ifndef TEST_UNIT_TINYMODEL_H
#define TEST_UNIT_TINYMODEL_H

#include "runtime/formats/SbsWeights.h"
#include "runtime/formats/synth/Presets.h"
#include "runtime/formats/synth/Synthesize.h"

#include "test/unit/TempPath.h"

#include <gtest/gtest.h>

#include <random>

namespace gemma::testing {

struct LoadedModel {
  ModelFile model;
  ModelWeights weights;
};

// Preset `preset` with weights of `weight`, written to a per-test temporary
// file and read back.
inline LoadedModel SynthesizeTiny(const std::string &preset,
                                  StoredType weight) {
  std::optional<ModelSpec> spec = PresetSpec(preset);
  EXPECT_TRUE(spec.has_value()) << preset;
  const std::string path = TempPath(preset + ".sbs");
  absl::Status written = SynthesizeSbs(*spec, weight, 11, path);
  EXPECT_TRUE(written.ok()) << written;
  absl::StatusOr<ModelFile> model = LoadSbsModel(path);
  EXPECT_TRUE(model.ok()) << model.status();
  absl::StatusOr<ModelWeights> weights = SbsModelWeights(*model);
  EXPECT_TRUE(weights.ok()) << weights.status();
  return {*std::move(model), *std::move(weights)};
}

// BOS, then `count - 1` random ids of the vocabulary.
inline std::vector<int32_t> RandomIds(size_t count, uint32_t vocab,
                                      uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int32_t> id(3, int32_t(vocab) - 1);
  std::vector<int32_t> ids = {2};
  while (ids.size() < count)
    ids.push_back(id(rng));
  return ids;
}

} // namespace gemma::testing

#endif // TEST_UNIT_TINYMODEL_H
