//===- SynthValues.h - Deterministic random weights ------------*- C++ -*-===//
//
// Value i of a tensor is a pure function of (seed, tensor name, i): any chunk
// of any tensor can be generated on its own, in any order, with the same bits
// on every machine (integer hashing and exact float scaling only). Scales keep
// a forward pass well-conditioned: embeddings give a unit-variance stream
// after the sqrt(d) multiplier, matrices have variance 1/in, norm weights and
// scalars sit near their neutral value. The exception is what feeds the
// residual stream (post-norm weights, or a block's last projection where no
// post-norm follows): its gain makes the blocks outweigh the token's own
// embedding, which through the tied output projection would otherwise make
// every token predict itself and greedy decoding repeat one token.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_FORMATS_SYNTH_SYNTHVALUES_H
#define RUNTIME_FORMATS_SYNTH_SYNTHVALUES_H

#include "runtime/formats/ModelSpec.h"
#include "runtime/formats/SbsTensors.h"

#include <cmath>
#include <cstdint>
#include <span>

namespace gemma {

// The gain of the blocks' contributions to the residual stream: with 2L
// contributions of RMS g against the embedding's RMS 1, the logit the input
// token gives itself is sqrt(d / (1 + 2L g^2)) standard deviations of the
// others; g makes that 1/2.
float StreamGain(const ModelSpec &spec);

class SynthValues {
public:
  SynthValues(uint64_t seed, const TensorSlot &slot, NormScale norm_scale,
              float stream_gain = 1.0f);

  // Writes flat values [first, first + out.size()) of the tensor.
  void Fill(uint64_t first, std::span<float> out) const;

  // No value's magnitude exceeds this.
  float MaxAbs() const { return std::fabs(center_) + half_width_; }

private:
  float ValueAt(uint64_t flat) const;

  uint64_t key_;
  float center_ = 0.0f;
  float half_width_ = 0.0f;
  uint64_t cols_;
  // K=V tensors: V rows repeat the K rows of the same KV head.
  bool duplicate_kv_;
  uint64_t q_rows_; // rows before the first KV block (heads * head_dim)
  uint64_t head_dim_;
};

} // namespace gemma

#endif // RUNTIME_FORMATS_SYNTH_SYNTHVALUES_H
