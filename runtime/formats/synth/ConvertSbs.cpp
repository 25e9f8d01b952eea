//===- ConvertSbs.cpp - Any loaded model as a gemma.cpp .sbs --------------===//

#include "runtime/formats/synth/ConvertSbs.h"

#include "runtime/formats/RoleMatrix.h"
#include "runtime/formats/synth/Synthesize.h"
#include "runtime/weights/codecs/Sfp.h"

#include <fmt/format.h>

#include <cmath>
#include <map>
#include <memory>

namespace gemma {
namespace {

// A tensor of gemma.cpp's layout, one row at a time.
using RowFn = std::function<void(int64_t row, std::span<float> out)>;

// The layer index and base name of "qkv_ein_3" (layer -1 for "c_*").
std::pair<std::string, int> Split(const std::string &name) {
  const size_t under = name.rfind('_');
  if (name.starts_with("c_") || under == std::string::npos)
    return {name, -1};
  return {name.substr(0, under), std::stoi(name.substr(under + 1))};
}

absl::StatusOr<RowFn> RowsOf(const ModelFile &model,
                             const ModelWeights &weights,
                             const TensorSlot &slot) {
  const auto [base, layer] = Split(slot.name);
  if (layer < 0) {
    if (base == "c_embedding") {
      auto rows = std::make_shared<RoleMatrix>(model, weights.embedding);
      return RowFn([rows](int64_t r, std::span<float> o) { rows->Row(r, o); });
    }
    if (base == "c_final_norm") {
      auto rows = std::make_shared<RoleMatrix>(model, weights.final_norm);
      return RowFn([rows](int64_t r, std::span<float> o) { rows->Row(r, o); });
    }
    return absl::UnimplementedError(
        fmt::format("no source for the .sbs tensor '{}'", slot.name));
  }
  const LayerSpec &spec = model.spec.layers[size_t(layer)];
  const LayerWeights &w = weights.layers[size_t(layer)];
  const int64_t q = spec.head_dim, h = spec.heads, d = model.spec.model_dim;
  auto role = [&](const WeightRef &ref) {
    return std::make_shared<RoleMatrix>(model, ref, spec.heads);
  };
  auto named = [&](const std::string &name) {
    return std::make_shared<RoleMatrix>(model, name);
  };
  // K=V layers store V rows equal to K's (gemma.cpp has no K=V switch).
  const WeightRef &v_ref = spec.k_eq_v ? w.k : w.v;
  // Q rows, then per KV head its K rows and V rows.
  auto kv_rows = [k = role(w.k), v = role(v_ref), q](int64_t r,
                                                     std::span<float> o) {
    const int64_t head = r / (2 * q), within = r % (2 * q);
    if (within < q)
      k->Row(head * q + within, o);
    else
      v->Row(head * q + within - q, o);
  };
  if (base == "qkv_ein")
    return RowFn(
        [qr = role(w.q), kv_rows, hq = h * q](int64_t r, std::span<float> o) {
          if (r < hq)
            qr->Row(r, o);
          else
            kv_rows(r - hq, o);
        });
  if (base == "qkv1_w") {
    auto rows = role(w.q);
    return RowFn([rows](int64_t r, std::span<float> o) { rows->Row(r, o); });
  }
  if (base == "qkv2_w")
    return RowFn(kv_rows);
  if (base == "att_ein") {
    // Head-major: row h * d + o holds out[o, h * q .. (h + 1) * q).
    auto out = role(w.out);
    auto buffer = std::make_shared<std::vector<float>>(size_t(h * q));
    return RowFn([out, buffer, d, q](int64_t r, std::span<float> o) {
      out->Row(r % d, *buffer);
      std::copy_n(buffer->begin() + (r / d) * q, q, o.begin());
    });
  }
  if (base == "gating_ein")
    return RowFn([g = role(w.gate), u = role(w.up),
                  f = int64_t(spec.ff_hidden)](int64_t r, std::span<float> o) {
      if (r < f)
        g->Row(r, o);
      else
        u->Row(r - f, o);
    });
  std::shared_ptr<RoleMatrix> rows;
  if (base == "att_w")
    rows = role(w.out);
  else if (base == "gating1_w")
    rows = role(w.gate);
  else if (base == "gating2_w")
    rows = role(w.up);
  else if (base == "linear_w")
    rows = role(w.down);
  const std::map<std::string, std::string> norms = {
      {"pre_att_ns", w.pre_attn_norm},   {"pre_ff_ns", w.pre_ffw_norm},
      {"post_att_ns", w.post_attn_norm}, {"post_ff_ns", w.post_ffw_norm},
      {"query_norm", w.query_norm},      {"key_norm", w.key_norm},
      {"skip_scale", w.layer_scalar}};
  if (auto it = norms.find(base); it != norms.end())
    rows = named(it->second);
  if (!rows)
    return absl::UnimplementedError(fmt::format(
        "not supported yet: writing '{}' to .sbs (per-layer embeddings and "
        "experts have no .sbs layout checked against gemma.cpp yet)",
        slot.name));
  return RowFn([rows](int64_t r, std::span<float> o) { rows->Row(r, o); });
}

} // namespace

absl::Status ConvertToSbs(const ModelFile &model, const ModelWeights &weights,
                          StoredType weight, const std::string &path,
                          const SynthProgress &progress) {
  if (model.spec.ple_dim != 0)
    return absl::UnimplementedError(
        "not supported yet: writing per-layer embeddings to .sbs");
  for (const LayerSpec &layer : model.spec.layers)
    if (layer.num_experts != 0)
      return absl::UnimplementedError(
          "not supported yet: writing mixture-of-experts layers to .sbs");
  const std::string tokenizer =
      model.tokenizer
          ? std::string(reinterpret_cast<const char *>(model.tokenizer->data()),
                        model.tokenizer->size())
          : std::string(kNoTokenizer);
  return WriteSbs(
      model.spec, weight, path, tokenizer,
      [&](const TensorSlot &slot) -> absl::StatusOr<TensorFill> {
        absl::StatusOr<RowFn> rows = RowsOf(model, weights, slot);
        if (!rows.ok())
          return rows.status();
        const int64_t cols = int64_t(slot.cols);
        // SFP and NUQ hold |v| <= 1.875: a larger tensor is stored divided
        // by a per-tensor scale (docs/formats/sbs.md 5.7), found in a first
        // pass.
        float scale = 1.0f;
        if (slot.type == StoredType::kSFP || slot.type == StoredType::kNUQ) {
          std::vector<float> row(static_cast<size_t>(cols));
          float max_abs = 0;
          for (uint64_t r = 0; r < slot.rows; ++r) {
            (*rows)(int64_t(r), row);
            for (float v : row)
              max_abs = std::max(max_abs, std::fabs(v));
          }
          if (max_abs > kSfpMax)
            scale = max_abs / kSfpMax;
        }
        auto buffer = std::make_shared<std::vector<float>>(size_t(cols));
        return TensorFill{
            [fn = *rows, buffer, cols](uint64_t first, std::span<float> out) {
              // Chunks need not start or end on a row boundary.
              for (size_t i = 0; i < out.size();) {
                const uint64_t at = first + i;
                const int64_t row = int64_t(at / uint64_t(cols));
                const size_t offset = size_t(at % uint64_t(cols));
                fn(row, *buffer);
                const size_t n =
                    std::min(out.size() - i, size_t(cols) - offset);
                std::copy_n(buffer->begin() + offset, n, out.begin() + i);
                i += n;
              }
            },
            scale};
      },
      progress);
}

} // namespace gemma
