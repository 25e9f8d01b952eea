//===- ModelBuilder.cpp - A Gemma model as a gemma module -----------------===//

#include "compiler/builder/ModelBuilder.h"
#include "compiler/builder/StorageOf.h"

#include "dialects/gemma/GemmaOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <fmt/format.h>

#include <cmath>
#include <set>

namespace gemma {
namespace {

using mlir::FlatSymbolRefAttr;
using mlir::RankedTensorType;
using mlir::Value;

// Emits one function of the module; holds what every op needs.
class FunctionEmitter {
public:
  FunctionEmitter(mlir::OpBuilder &builder, const ModelSpec &spec,
                  const ModelWeights &weights, const CacheLayout &layout,
                  std::set<std::string> &params, mlir::Operation *&last_param,
                  mlir::ModuleOp module)
      : b_(builder), spec_(spec), weights_(weights), layout_(layout),
        params_(params), last_param_(last_param), module_(module),
        loc_(builder.getUnknownLoc()) {}

  // rows: tokens (prefill) or sequences (decode); batch: the caches' first
  // dimension.
  // images: an image prefill (docs/vision.md), which also takes the soft
  // tokens at their rows [rows, d] and each row's horizon [rows] after the
  // caches, and returns every row's logits.
  void Emit(const std::string &name, int64_t rows, int64_t batch, bool logits,
            bool images = false) {
    auto ids = RankedTensorType::get({rows}, b_.getI32Type());
    llvm::SmallVector<mlir::Type> inputs = {ids, ids};
    llvm::SmallVector<mlir::Type> results;
    if (logits)
      results.push_back(F32({rows, spec_.vocab_size}));
    for (const LayerCache &cache : layout_.layers) {
      auto type = F32({batch, cache.slots, cache.kv_heads, cache.head_dim});
      inputs.append({type, type});
      results.append({type, type});
    }
    if (images)
      inputs.append({F32({rows, spec_.model_dim}), ids});
    mlir::OpBuilder::InsertionGuard guard(b_);
    b_.setInsertionPointToEnd(module_.getBody());
    auto func = mlir::func::FuncOp::create(b_, loc_, name,
                                           b_.getFunctionType(inputs, results));
    mlir::Block *body = func.addEntryBlock();
    b_.setInsertionPointToStart(body);
    rows_ = rows;
    positions_ = body->getArgument(1);

    ids_ = body->getArgument(0);
    Value x = ir::EmbedOp::create(
        b_, loc_, F32({rows, spec_.model_dim}), ids_, Param(weights_.embedding),
        mlir::DenseI64ArrayAttr(), b_.getF32FloatAttr(spec_.embed_scale));
    embedded_ = x;
    horizons_ = Value();
    if (images) {
      const unsigned soft = 2 + 2 * spec_.num_layers();
      x = ir::ReplaceRowsOp::create(b_, loc_, x.getType(), x,
                                    body->getArgument(soft), ids_,
                                    layout_.image_token);
      horizons_ = body->getArgument(soft + 1);
    }
    llvm::SmallVector<Value> outs;
    if (logits)
      outs.push_back(Value());
    kv_.clear();
    for (uint32_t l = 0; l < spec_.num_layers(); ++l) {
      Value keys = body->getArgument(2 + 2 * l);
      Value values = body->getArgument(3 + 2 * l);
      x = Layer(l, x, keys, values);
      kv_.push_back({keys, values});
      outs.append({keys, values});
    }
    if (logits) {
      Value h = Norm(x, weights_.final_norm);
      Value l = ir::LogitsOp::create(b_, loc_, F32({rows, spec_.vocab_size}), h,
                                     Param(weights_.embedding));
      if (spec_.final_softcap > 0)
        l = ir::SoftcapOp::create(b_, loc_, l,
                                  b_.getF32FloatAttr(spec_.final_softcap));
      outs[0] = l;
    }
    mlir::func::ReturnOp::create(b_, loc_, outs);
  }

private:
  RankedTensorType F32(llvm::ArrayRef<int64_t> shape) {
    return RankedTensorType::get(shape, b_.getF32Type());
  }

  // The symbol of a stored tensor, declared on first use.
  FlatSymbolRefAttr Param(const std::string &name) {
    if (params_.insert(name).second) {
      const TensorInfo &t = weights_.tensors.at(name);
      mlir::OpBuilder::InsertionGuard guard(b_);
      // Params stay together at the top, in order of first use.
      if (last_param_)
        b_.setInsertionPointAfter(last_param_);
      else
        b_.setInsertionPointToStart(module_.getBody());
      last_param_ = CreateParam(b_, loc_, name, t);
    }
    return FlatSymbolRefAttr::get(b_.getContext(), name);
  }

  // RMSNorm in the model's convention; no weight: the weightless norm.
  Value Norm(Value x, const std::string &weight) {
    ir::NormScale scale = spec_.norm_scale == NormScale::kPlain
                              ? ir::NormScale::Plain
                              : ir::NormScale::PlusOne;
    return ir::RmsNormOp::create(
        b_, loc_, x.getType(), x,
        weight.empty() ? FlatSymbolRefAttr() : Param(weight),
        weight.empty() ? ir::NormScaleAttr()
                       : ir::NormScaleAttr::get(b_.getContext(), scale),
        b_.getF32FloatAttr(spec_.norm_epsilon));
  }

  Value Matmul(Value x, const WeightRef &w, llvm::ArrayRef<int64_t> shape) {
    mlir::DenseI64ArrayAttr rows;
    if (!w.rows.empty()) {
      llvm::SmallVector<int64_t> flat;
      for (auto [begin, end] : w.rows)
        flat.append({begin, end});
      rows = b_.getDenseI64ArrayAttr(flat);
    }
    mlir::IntegerAttr heads;
    if (w.head_major)
      heads = b_.getI64IntegerAttr(
          mlir::cast<RankedTensorType>(x.getType()).getShape()[1]);
    return ir::MatmulOp::create(b_, loc_, F32(shape), x, Param(w.tensor), rows,
                                heads);
  }

  Value Rope(Value x, const LayerSpec &layer) {
    return ir::RopeOp::create(b_, loc_, x.getType(), x, positions_,
                              b_.getF64FloatAttr(layer.rope.base),
                              b_.getF64FloatAttr(layer.rope.linear_scale),
                              b_.getF64FloatAttr(layer.rope.fraction));
  }

  Value Layer(uint32_t l, Value x, Value &keys, Value &values) {
    const LayerSpec &layer = spec_.layers[l];
    const LayerWeights &w = weights_.layers[l];
    const int64_t d = spec_.model_dim, hd = layer.head_dim;

    // Attention (docs/gemma-math.md 2.4). A layer that shares a cache
    // (docs/gemma-math.md 4.5) computes only its queries and attends over the
    // cache an earlier layer of its type wrote in this same step; it writes
    // none.
    const bool shares = layer.kv_source_layer >= 0;
    Value normed = Norm(x, w.pre_attn_norm);
    Value q = Matmul(normed, w.q, {rows_, layer.heads, hd});
    Value k, v;
    if (!shares) {
      k = Matmul(normed, w.k, {rows_, layer.kv_heads, hd});
      v = layer.k_eq_v ? k : Matmul(normed, w.v, {rows_, layer.kv_heads, hd});
    }
    if (layer.qk_norm) {
      q = Norm(q, w.query_norm);
      if (!shares)
        k = Norm(k, w.key_norm);
    }
    if (layer.value_norm && !shares)
      v = Norm(v, "");
    q = Rope(q, layer);
    Value attend_keys, attend_values;
    int64_t slots = layout_.layers[l].slots;
    if (shares) {
      const uint32_t source = uint32_t(layer.kv_source_layer);
      attend_keys = kv_[source].first;
      attend_values = kv_[source].second;
      slots = layout_.layers[source].slots;
    } else {
      k = Rope(k, layer);
      keys =
          ir::KvWriteOp::create(b_, loc_, keys.getType(), k, keys, positions_);
      values = ir::KvWriteOp::create(b_, loc_, values.getType(), v, values,
                                     positions_);
      attend_keys = keys;
      attend_values = values;
    }
    auto scores_type = F32({rows_, layer.heads, slots});
    Value scores =
        ir::AttnScoresOp::create(b_, loc_, scores_type, q, attend_keys,
                                 b_.getF32FloatAttr(layer.query_scale));
    if (spec_.attn_softcap > 0)
      scores = ir::SoftcapOp::create(b_, loc_, scores,
                                     b_.getF32FloatAttr(spec_.attn_softcap));
    mlir::IntegerAttr window = layer.is_global()
                                   ? mlir::IntegerAttr()
                                   : b_.getI64IntegerAttr(layer.window);
    scores = horizons_ ? ir::ImageMaskOp::create(b_, loc_, scores_type, scores,
                                                 positions_, horizons_, window)
                             .getResult()
                       : ir::WindowMaskOp::create(b_, loc_, scores_type, scores,
                                                  positions_, window)
                             .getResult();
    Value probs = ir::SoftmaxOp::create(b_, loc_, scores);
    Value heads = ir::AttnValuesOp::create(
        b_, loc_, F32({rows_, layer.heads, hd}), probs, attend_values);
    Value attn = Matmul(heads, w.out, {rows_, d});
    if (layer.post_norms)
      attn = Norm(attn, w.post_attn_norm);
    x = ir::AddOp::create(b_, loc_, x, attn);

    // GeGLU MLP (docs/gemma-math.md 2.5).
    Value ffw_in = Norm(x, w.pre_ffw_norm);
    Value gate = Matmul(ffw_in, w.gate, {rows_, layer.ff_hidden});
    Value up = Matmul(ffw_in, w.up, {rows_, layer.ff_hidden});
    Value hidden =
        ir::MulOp::create(b_, loc_, ir::GeluTanhOp::create(b_, loc_, gate), up);
    Value ffw = Matmul(hidden, w.down, {rows_, d});
    if (layer.num_experts)
      ffw = ir::AddOp::create(b_, loc_, Norm(ffw, w.post_dense_norm),
                              Experts(layer, w, x));
    if (layer.post_norms)
      ffw = Norm(ffw, w.post_ffw_norm);
    x = ir::AddOp::create(b_, loc_, x, ffw);

    if (spec_.ple_dim)
      x = ir::AddOp::create(b_, loc_, x, PerLayerInput(l, x));

    if (!w.layer_scalar.empty())
      x = ir::ScaleOp::create(b_, loc_, x.getType(), x, Param(w.layer_scalar),
                              mlir::FloatAttr());
    return x;
  }

  // The routed branch of a Gemma 4 MoE layer (docs/gemma-math.md 4.6), from the
  // post-attention residual r: router logits of norm(r) * scale / sqrt(d),
  // the chosen experts over norm_2(r), then the experts' norm.
  Value Experts(const LayerSpec &layer, const LayerWeights &w, Value r) {
    const int64_t d = spec_.model_dim, experts = layer.num_experts;
    Value z = Scaled(Norm(r, w.moe_router_scale), 1.0 / std::sqrt(double(d)));
    Value logits = Matmul(z, {w.moe_router, {}, false}, {rows_, experts});
    Value routed = ir::MoeExpertsOp::create(
        b_, loc_, F32({rows_, d}), Norm(r, w.pre_moe_norm), logits,
        Param(w.moe_expert_scale), Param(w.moe_gate_up), Param(w.moe_down),
        b_.getI64IntegerAttr(layer.experts_per_token));
    return Norm(routed, w.post_moe_norm);
  }

  Value Scaled(Value x, double factor) {
    return ir::ScaleOp::create(b_, loc_, x.getType(), x, FlatSymbolRefAttr(),
                               b_.getF32FloatAttr(float(factor)));
  }

  // Gemma 4 per-layer embeddings (docs/gemma-math.md 4.4): layer l's input is
  // (norm(embedded * W_proj[l] / sqrt(d)) + table[ids][l] * sqrt(P)) /
  // sqrt(2), gated by the stream and projected back to d, normed.
  Value PerLayerInput(uint32_t l, Value x) {
    const LayerWeights &w = weights_.layers[l];
    const int64_t p = spec_.ple_dim, d = spec_.model_dim;
    WeightRef projection{
        weights_.ple_projection, {{l * p, (l + 1) * p}}, false};
    Value context = Matmul(embedded_, projection, {rows_, p});
    context = Norm(Scaled(context, 1.0 / std::sqrt(double(d))),
                   weights_.ple_projection_norm);
    Value token = ir::EmbedOp::create(
        b_, loc_, F32({rows_, p}), ids_, Param(weights_.ple_table),
        b_.getDenseI64ArrayAttr({l * p, (l + 1) * p}),
        b_.getF32FloatAttr(std::sqrt(float(p))));
    Value input = Scaled(ir::AddOp::create(b_, loc_, context, token),
                         1.0 / std::sqrt(2.0));
    Value gate = ir::GeluTanhOp::create(
        b_, loc_, Matmul(x, {w.ple_gate, {}, false}, {rows_, p}));
    Value out = Matmul(ir::MulOp::create(b_, loc_, gate, input),
                       {w.ple_proj, {}, false}, {rows_, d});
    return Norm(out, w.ple_norm);
  }

  mlir::OpBuilder &b_;
  const ModelSpec &spec_;
  const ModelWeights &weights_;
  const CacheLayout &layout_;
  std::set<std::string> &params_;
  mlir::Operation *&last_param_;
  mlir::ModuleOp module_;
  mlir::Location loc_;
  int64_t rows_ = 0;
  Value positions_;
  Value ids_;
  Value embedded_; // the scaled embedding, which PLE projects
  Value horizons_; // an image prefill's: how far each row sees
  // Each emitted layer's cache after its writes (what sharing layers read).
  std::vector<std::pair<Value, Value>> kv_;
};

// Every role the spec needs names a tensor of the table.
absl::Status CheckWeights(const ModelSpec &spec, const ModelWeights &weights) {
  auto check = [&](const std::string &role,
                   const std::string &tensor) -> absl::Status {
    if (tensor.empty() || !weights.tensors.count(tensor))
      return absl::InvalidArgumentError(
          fmt::format("{}: no tensor for {}{}", spec.name, role,
                      tensor.empty() ? "" : " ('" + tensor + "')"));
    return absl::OkStatus();
  };
  if (absl::Status s = check("the embedding", weights.embedding); !s.ok())
    return s;
  if (absl::Status s = check("the final norm", weights.final_norm); !s.ok())
    return s;
  if (spec.ple_dim)
    for (const auto &[role, tensor] :
         {std::pair{"the per-layer embedding table", weights.ple_table},
          std::pair{"the per-layer model projection", weights.ple_projection},
          std::pair{"the per-layer projection norm",
                    weights.ple_projection_norm}})
      if (absl::Status s = check(role, tensor); !s.ok())
        return s;
  if (weights.layers.size() != spec.num_layers())
    return absl::InvalidArgumentError(
        fmt::format("{}: weights for {} layers, the spec has {}", spec.name,
                    weights.layers.size(), spec.num_layers()));
  for (uint32_t l = 0; l < spec.num_layers(); ++l) {
    const LayerSpec &layer = spec.layers[l];
    const LayerWeights &w = weights.layers[l];
    const bool shares = layer.kv_source_layer >= 0;
    std::vector<std::pair<std::string, std::string>> roles = {
        {"the query projection", w.q.tensor},
        {"the attention output", w.out.tensor},
        {"the gate projection", w.gate.tensor},
        {"the up projection", w.up.tensor},
        {"the down projection", w.down.tensor},
        {"the pre-attention norm", w.pre_attn_norm},
        {"the pre-MLP norm", w.pre_ffw_norm}};
    if (!shares)
      roles.push_back({"the key projection", w.k.tensor});
    if (!layer.k_eq_v && !shares)
      roles.push_back({"the value projection", w.v.tensor});
    if (layer.post_norms) {
      roles.push_back({"the post-attention norm", w.post_attn_norm});
      roles.push_back({"the post-MLP norm", w.post_ffw_norm});
    }
    if (layer.qk_norm) {
      roles.push_back({"the query norm", w.query_norm});
      if (!shares)
        roles.push_back({"the key norm", w.key_norm});
    }
    if (spec.layer_scalar)
      roles.push_back({"the layer scalar", w.layer_scalar});
    if (layer.num_experts)
      for (const auto &[role, tensor] :
           {std::pair{"the expert router", w.moe_router},
            std::pair{"the router scale", w.moe_router_scale},
            std::pair{"the per-expert scales", w.moe_expert_scale},
            std::pair{"the experts' gate/up", w.moe_gate_up},
            std::pair{"the experts' down projection", w.moe_down},
            std::pair{"the experts' input norm", w.pre_moe_norm},
            std::pair{"the dense branch's output norm", w.post_dense_norm},
            std::pair{"the experts' output norm", w.post_moe_norm}})
        roles.push_back({role, tensor});
    if (spec.ple_dim) {
      roles.push_back({"the per-layer input gate", w.ple_gate});
      roles.push_back({"the per-layer projection", w.ple_proj});
      roles.push_back({"the per-layer output norm", w.ple_norm});
    }
    for (const auto &[role, tensor] : roles)
      if (absl::Status s =
              check(fmt::format("{} of layer {}", role, l), tensor);
          !s.ok())
        return s;
  }
  return absl::OkStatus();
}

} // namespace

absl::Status CheckBuildable(const ModelSpec &spec) {
  return ValidateModelSpec(spec);
}

void LoadBuilderDialects(mlir::MLIRContext &context) {
  context.loadDialect<ir::GemmaDialect, mlir::func::FuncDialect>();
}

std::string PrefillFunctionName(int64_t tokens) {
  return fmt::format("prefill_{}", tokens);
}

std::string DecodeFunctionName(int64_t sequences) {
  return fmt::format("decode_{}", sequences);
}

std::string PrefillImageFunctionName(int64_t tokens) {
  return fmt::format("prefill_image_{}", tokens);
}

absl::StatusOr<mlir::OwningOpRef<mlir::ModuleOp>>
BuildModel(mlir::MLIRContext &context, const ModelSpec &spec,
           const ModelWeights &weights, const CacheLayout &layout) {
  if (absl::Status s = CheckBuildable(spec); !s.ok())
    return s;
  if (absl::Status s = CheckWeights(spec, weights); !s.ok())
    return s;
  if (layout.image_token >= 0 &&
      (spec.generation != Generation::kGemma3 || spec.ple_dim))
    return absl::InvalidArgumentError(
        fmt::format("{}: image prompts are built for Gemma 3 only", spec.name));
  if (layout.image_token >= int64_t(spec.vocab_size))
    return absl::InvalidArgumentError(
        fmt::format("{}: the image token {} is outside the vocabulary of {}",
                    spec.name, layout.image_token, spec.vocab_size));
  LoadBuilderDialects(context);
  mlir::OpBuilder builder(&context);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::ModuleOp::create(builder.getUnknownLoc());
  std::set<std::string> params;
  mlir::Operation *last_param = nullptr;
  for (int64_t tokens : layout.prefill_buckets)
    FunctionEmitter(builder, spec, weights, layout, params, last_param, *module)
        .Emit(PrefillFunctionName(tokens), tokens, 1, /*logits=*/false);
  for (int64_t sequences : layout.decode_buckets)
    FunctionEmitter(builder, spec, weights, layout, params, last_param, *module)
        .Emit(DecodeFunctionName(sequences), sequences, sequences,
              /*logits=*/true);
  if (layout.image_token >= 0)
    for (int64_t tokens : layout.prefill_buckets)
      FunctionEmitter(builder, spec, weights, layout, params, last_param,
                      *module)
          .Emit(PrefillImageFunctionName(tokens), tokens, 1, /*logits=*/true,
                /*images=*/true);

  // Prefill returns only the caches: the last layer's attention output and
  // MLP feed nothing. Erase what feeds nothing, then the params no op reads.
  for (mlir::func::FuncOp func : module->getOps<mlir::func::FuncOp>()) {
    llvm::SmallVector<mlir::Operation *> ops;
    for (mlir::Operation &op : func.getBody().front())
      ops.push_back(&op);
    for (mlir::Operation *op : llvm::reverse(ops))
      if (mlir::isOpTriviallyDead(op))
        op->erase();
  }
  for (ir::ParamOp param :
       llvm::make_early_inc_range(module->getOps<ir::ParamOp>()))
    if (mlir::SymbolTable::symbolKnownUseEmpty(param, *module))
      param->erase();

  // The verifier checks every weight's shape against its use.
  std::string message;
  mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &d) {
    if (message.empty())
      message = d.str();
    return mlir::success();
  });
  if (failed(mlir::verify(*module)))
    return absl::InvalidArgumentError(fmt::format(
        "{}: the weights do not fit the model: {}", spec.name, message));
  return module;
}

} // namespace gemma
