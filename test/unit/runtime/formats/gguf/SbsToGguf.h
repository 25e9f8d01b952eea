//===- SbsToGguf.h - A model written as llama.cpp would ---------*- C++ -*-===//
//
// The GGUF llama.cpp's converter would write for a model we hold as `.sbs`:
// its tensor names, Q/K/V split, the [d, H * hd] output projection, norms
// stored as 1 + w, f32 tensors. GgufModelTest compares the two; the GGUF
// fuzz target is seeded with it.
//
//===----------------------------------------------------------------------===//

#ifndef TEST_UNIT_RUNTIME_FORMATS_GGUF_SBSTOGGUF_H
#define TEST_UNIT_RUNTIME_FORMATS_GGUF_SBSTOGGUF_H

#include "runtime/formats/ModelFile.h"
#include "runtime/formats/ModelWeights.h"
#include "runtime/weights/codecs/Decode.h"
#include "test/unit/runtime/formats/gguf/GgufBuilder.h"

#include <algorithm>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace gemma::testing {

// Rows of a role as f32 [rows, cols]: its row ranges, and head-major
// matrices ([H * out, in_h]) turned into [out, H * in_h].
inline std::vector<float> Matrix(const ModelFile &model, const WeightRef &ref,
                                 uint64_t heads, uint64_t *rows,
                                 uint64_t *cols) {
  const WeightTensor &t = *model.Find(ref.tensor);
  std::vector<float> all(t.rows * t.cols);
  DecodeRange(t.type, t.bytes.data(), 0, all.size(), all.data());
  for (float &v : all)
    v *= t.scale;
  std::vector<std::pair<int64_t, int64_t>> ranges = ref.rows;
  if (ranges.empty())
    ranges = {{0, int64_t(t.rows)}};
  std::vector<float> out;
  for (auto [b, e] : ranges)
    out.insert(out.end(), all.begin() + b * t.cols, all.begin() + e * t.cols);
  *rows = out.size() / t.cols;
  *cols = t.cols;
  if (!ref.head_major)
    return out;
  const uint64_t o = *rows / heads, in_h = t.cols;
  std::vector<float> flat(out.size());
  for (uint64_t h = 0; h < heads; ++h)
    for (uint64_t r = 0; r < o; ++r)
      for (uint64_t j = 0; j < in_h; ++j)
        flat[r * heads * in_h + h * in_h + j] = out[(h * o + r) * in_h + j];
  *rows = o;
  *cols = heads * in_h;
  return flat;
}

inline std::vector<float> Norm(const ModelFile &model,
                               const std::string &name) {
  const WeightTensor &t = *model.Find(name);
  std::vector<float> w(t.rows * t.cols);
  DecodeRange(t.type, t.bytes.data(), 0, w.size(), w.data());
  for (float &v : w)
    v = 1.0f + v * t.scale; // llama.cpp's converter: stored = 1 + w
  return w;
}

// The GGUF llama.cpp would write for `model`.
inline std::vector<uint8_t>
AsGguf(const ModelFile &model, const ModelWeights &weights,
       const std::function<void(GgufBuilder &)> &more_metadata = {}) {
  const ModelSpec &spec = model.spec;
  const std::string arch = spec.generation == Generation::kGemma1   ? "gemma"
                           : spec.generation == Generation::kGemma2 ? "gemma2"
                                                                    : "gemma3";
  const LayerSpec &l0 = spec.layers[0];
  GgufBuilder b;
  b.String("general.architecture", arch);
  b.String("general.name", "Tiny Test");
  b.U32(arch + ".context_length", spec.max_context);
  b.U32(arch + ".embedding_length", spec.model_dim);
  b.U32(arch + ".block_count", spec.num_layers());
  b.U32(arch + ".feed_forward_length", l0.ff_hidden);
  b.U32(arch + ".attention.head_count", l0.heads);
  b.U32(arch + ".attention.head_count_kv", l0.kv_heads);
  b.U32(arch + ".attention.key_length", l0.head_dim);
  b.U32(arch + ".attention.value_length", l0.head_dim);
  b.F32(arch + ".attention.layer_norm_rms_epsilon", spec.norm_epsilon);
  uint32_t window = 0;
  for (const LayerSpec &l : spec.layers)
    window = std::max(window, l.window);
  if (window)
    b.U32(arch + ".attention.sliding_window", window);
  if (spec.generation == Generation::kGemma3) {
    for (const LayerSpec &l : spec.layers)
      if (l.is_global()) {
        b.F32(arch + ".rope.freq_base", float(l.rope.base));
        if (l.rope.linear_scale != 1.0) {
          b.String(arch + ".rope.scaling.type", "linear");
          b.F32(arch + ".rope.scaling.factor", float(l.rope.linear_scale));
        }
        break;
      }
  }
  if (spec.generation == Generation::kGemma2) {
    b.F32(arch + ".attn_logit_softcapping", spec.attn_softcap);
    b.F32(arch + ".final_logit_softcapping", spec.final_softcap);
  }
  b.U32("tokenizer.ggml.bos_token_id", uint32_t(spec.bos_id));
  b.U32("tokenizer.ggml.eos_token_id", uint32_t(spec.eos_ids[0]));
  if (more_metadata)
    more_metadata(b);

  uint64_t rows = 0, cols = 0;
  std::vector<float> embedding =
      Matrix(model, WeightRef{weights.embedding, {}, false}, 1, &rows, &cols);
  b.TensorF32("token_embd.weight", {cols, rows}, embedding);
  b.TensorF32("output_norm.weight", {spec.model_dim},
              Norm(model, weights.final_norm));
  for (uint32_t i = 0; i < spec.num_layers(); ++i) {
    const LayerWeights &w = weights.layers[i];
    auto name = [&](const char *base) {
      return "blk." + std::to_string(i) + "." + base + ".weight";
    };
    for (auto [ref, base] : {std::pair(&w.q, "attn_q"),
                             {&w.k, "attn_k"},
                             {&w.v, "attn_v"},
                             {&w.out, "attn_output"},
                             {&w.gate, "ffn_gate"},
                             {&w.up, "ffn_up"},
                             {&w.down, "ffn_down"}}) {
      std::vector<float> m =
          Matrix(model, *ref, spec.layers[i].heads, &rows, &cols);
      b.TensorF32(name(base), {cols, rows}, m);
    }
    for (auto [norm, base] : {std::pair(&w.pre_attn_norm, "attn_norm"),
                              {&w.pre_ffw_norm, "ffn_norm"},
                              {&w.post_attn_norm, "post_attention_norm"},
                              {&w.post_ffw_norm, "post_ffw_norm"},
                              {&w.query_norm, "attn_q_norm"},
                              {&w.key_norm, "attn_k_norm"}})
      if (!norm->empty()) {
        std::vector<float> v = Norm(model, *norm);
        b.TensorF32(name(base), {v.size()}, v);
      }
  }
  return b.Build();
}

} // namespace gemma::testing

#endif // TEST_UNIT_RUNTIME_FORMATS_GGUF_SBSTOGGUF_H
