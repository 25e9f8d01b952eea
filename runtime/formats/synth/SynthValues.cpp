//===- SynthValues.cpp - Deterministic random weights ---------------------===//

#include "runtime/formats/synth/SynthValues.h"

#include <algorithm>
#include <cmath>

namespace gemma {
namespace {

// SplitMix64's finalizer: a bijective mix with good avalanche.
uint64_t Mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

uint64_t HashName(std::string_view name) {
  uint64_t h = 0xCBF29CE484222325ull; // FNV-1a
  for (char c : name)
    h = (h ^ static_cast<uint8_t>(c)) * 0x100000001B3ull;
  return h;
}

// A uniform float in [-1, 1) with 24 random bits: exact in f32.
float Uniform(uint64_t bits) {
  return static_cast<float>(static_cast<int64_t>(bits >> 40) - (1 << 23)) *
         (1.0f / (1 << 23));
}

} // namespace

float StreamGain(const ModelSpec &spec) {
  const double d = spec.model_dim, contributions = 2.0 * spec.num_layers();
  return static_cast<float>(
      std::max(1.0, std::sqrt((4.0 * d - 1.0) / contributions)));
}

SynthValues::SynthValues(uint64_t seed, const TensorSlot &slot,
                         NormScale norm_scale, float stream_gain)
    : key_(Mix(seed ^ HashName(slot.name))), cols_(slot.cols),
      duplicate_kv_(slot.duplicate_kv),
      q_rows_(slot.rows - uint64_t{2} * slot.kv_heads * slot.head_dim),
      head_dim_(slot.head_dim) {
  // Uniform on [-a, a] has variance a^2 / 3.
  switch (slot.role) {
  case TensorRole::kEmbedding: // times sqrt(d) on lookup: unit variance
    half_width_ = std::sqrt(3.0f / static_cast<float>(slot.cols));
    break;
  case TensorRole::kPleEmbedding: // times 16 on lookup
    half_width_ = std::sqrt(3.0f) / 16.0f;
    break;
  case TensorRole::kMatrix:
    half_width_ = std::sqrt(3.0f / static_cast<float>(slot.cols));
    break;
  case TensorRole::kStreamMatrix:
    half_width_ = stream_gain * std::sqrt(3.0f / static_cast<float>(slot.cols));
    break;
  case TensorRole::kNorm:
    center_ = norm_scale == NormScale::kPlain ? 1.0f : 0.0f;
    half_width_ = 0.125f;
    break;
  case TensorRole::kPostNorm: // multiplier stream_gain, whatever the convention
    center_ = norm_scale == NormScale::kPlain ? stream_gain : stream_gain - 1;
    half_width_ = 0.125f * stream_gain;
    break;
  case TensorRole::kScalar:
    center_ = 1.0f;
    half_width_ = 0.125f;
    break;
  }
}

float SynthValues::ValueAt(uint64_t flat) const {
  if (duplicate_kv_) {
    uint64_t row = flat / cols_;
    if (row >= q_rows_ && (row - q_rows_) / head_dim_ % 2 == 1)
      flat -= head_dim_ * cols_; // the same row of the K block before it
  }
  return center_ + half_width_ * Uniform(Mix(key_ + flat));
}

void SynthValues::Fill(uint64_t first, std::span<float> out) const {
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = ValueAt(first + i);
}

} // namespace gemma
