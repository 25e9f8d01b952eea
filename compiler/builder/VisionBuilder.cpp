//===- VisionBuilder.cpp - An image encoder as a gemma function -----------===//

#include "compiler/builder/VisionBuilder.h"

#include "compiler/builder/ModelBuilder.h"
#include "compiler/builder/StorageOf.h"
#include "dialects/gemma/GemmaOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/IR/Verifier.h"

#include <fmt/format.h>

#include <cmath>

namespace gemma {
namespace {

using mlir::FlatSymbolRefAttr;
using mlir::RankedTensorType;
using mlir::Value;

class VisionEmitter {
public:
  VisionEmitter(mlir::ModuleOp module, const VisionSpec &spec,
                const VisionWeights &weights)
      : b_(module.getContext()), module_(module), spec_(spec),
        weights_(weights), loc_(b_.getUnknownLoc()) {}

  void Emit() {
    const int64_t n = spec_.Patches(), d = spec_.width;
    b_.setInsertionPointToEnd(module_.getBody());
    auto type =
        b_.getFunctionType({F32({n, spec_.PatchValues()})},
                           {F32({spec_.soft_tokens, spec_.text_width})});
    auto func =
        mlir::func::FuncOp::create(b_, loc_, VisionFunctionName(), type);
    b_.setInsertionPointToStart(func.addEntryBlock());
    Value x = Linear(func.getArgument(0), weights_.patch, weights_.patch_bias,
                     {n, d});
    x = ir::AddWeightOp::create(b_, loc_, x, Param(weights_.position));
    for (const VisionLayerWeights &layer : weights_.layers)
      x = Layer(x, layer);
    x = LayerNorm(x, weights_.post_norm_weight, weights_.post_norm_bias);
    const int64_t side = spec_.GridSide();
    Value pooled = ir::AvgPoolOp::create(
        b_, loc_, F32({spec_.soft_tokens, d}), x,
        b_.getDenseI64ArrayAttr({side, side}), spec_.PoolKernel());
    Value normed = ir::RmsNormOp::create(
        b_, loc_, pooled.getType(), pooled, Param(weights_.soft_norm),
        ir::NormScaleAttr::get(b_.getContext(), weights_.soft_norm_plain
                                                    ? ir::NormScale::Plain
                                                    : ir::NormScale::PlusOne),
        b_.getF32FloatAttr(spec_.epsilon));
    Value tokens = ir::MatmulOp::create(
        b_, loc_, F32({spec_.soft_tokens, spec_.text_width}), normed,
        Param(weights_.projection), mlir::DenseI64ArrayAttr(),
        mlir::IntegerAttr());
    mlir::func::ReturnOp::create(b_, loc_, mlir::ValueRange{tokens});
  }

private:
  RankedTensorType F32(llvm::ArrayRef<int64_t> shape) {
    return RankedTensorType::get(shape, b_.getF32Type());
  }

  // Declares the stored tensor at the top of the module on first use.
  FlatSymbolRefAttr Param(const std::string &name) {
    if (!mlir::SymbolTable::lookupSymbolIn(module_, name)) {
      const TensorInfo &t = weights_.tensors.at(name);
      mlir::OpBuilder::InsertionGuard guard(b_);
      b_.setInsertionPointToStart(module_.getBody());
      CreateParam(b_, loc_, name, t);
    }
    return FlatSymbolRefAttr::get(b_.getContext(), name);
  }

  // x W^T + b, the result shaped `shape`.
  Value Linear(Value x, const std::string &weight, const std::string &bias,
               llvm::ArrayRef<int64_t> shape) {
    Value y =
        ir::MatmulOp::create(b_, loc_, F32(shape), x, Param(weight),
                             mlir::DenseI64ArrayAttr(), mlir::IntegerAttr());
    return ir::AddWeightOp::create(b_, loc_, y, Param(bias));
  }

  Value LayerNorm(Value x, const std::string &weight, const std::string &bias) {
    return ir::LayerNormOp::create(b_, loc_, x.getType(), x, Param(weight),
                                   Param(bias),
                                   b_.getF32FloatAttr(spec_.epsilon));
  }

  // A pre-norm encoder layer: attention among all patches, then the MLP,
  // each added to the residual stream.
  Value Layer(Value x, const VisionLayerWeights &w) {
    const int64_t n = spec_.Patches(), d = spec_.width, h = spec_.heads;
    const int64_t hd = spec_.HeadDim();
    Value normed = LayerNorm(x, w.norm1_weight, w.norm1_bias);
    Value q = Linear(normed, w.q, w.q_bias, {n, h, hd});
    Value k = Linear(normed, w.k, w.k_bias, {n, h, hd});
    Value v = Linear(normed, w.v, w.v_bias, {n, h, hd});
    Value attn = ir::FullAttentionOp::create(
        b_, loc_, q.getType(), q, k, v,
        b_.getF32FloatAttr(float(1.0 / std::sqrt(double(hd)))));
    x = ir::AddOp::create(b_, loc_, x, Linear(attn, w.out, w.out_bias, {n, d}));
    normed = LayerNorm(x, w.norm2_weight, w.norm2_bias);
    Value hidden = Linear(normed, w.fc1, w.fc1_bias, {n, spec_.mlp});
    hidden = ir::GeluTanhOp::create(b_, loc_, hidden);
    return ir::AddOp::create(b_, loc_, x,
                             Linear(hidden, w.fc2, w.fc2_bias, {n, d}));
  }

  mlir::OpBuilder b_;
  mlir::ModuleOp module_;
  const VisionSpec &spec_;
  const VisionWeights &weights_;
  mlir::Location loc_;
};

} // namespace

std::string VisionFunctionName() { return "encode_image"; }

absl::Status AddVisionEncoder(mlir::ModuleOp module, const VisionSpec &spec,
                              const VisionWeights &weights) {
  if (std::string problem = CheckVisionSpec(spec); !problem.empty())
    return absl::InvalidArgumentError("vision tower: " + problem);
  if (int64_t(weights.layers.size()) != spec.layers)
    return absl::InvalidArgumentError(
        fmt::format("vision tower: {} layers of weights for {} layers",
                    weights.layers.size(), spec.layers));
  if (mlir::SymbolTable::lookupSymbolIn(module, VisionFunctionName()))
    return absl::InvalidArgumentError(fmt::format(
        "the module already has a function @{}", VisionFunctionName()));
  VisionEmitter(module, spec, weights).Emit();
  std::string message;
  mlir::ScopedDiagnosticHandler handler(module.getContext(),
                                        [&](mlir::Diagnostic &d) {
                                          if (message.empty())
                                            message = d.str();
                                          return mlir::success();
                                        });
  if (failed(mlir::verify(module)))
    return absl::InvalidArgumentError(fmt::format(
        "vision tower: the weights do not fit the model: {}", message));
  return absl::OkStatus();
}

absl::StatusOr<mlir::OwningOpRef<mlir::ModuleOp>>
BuildVisionEncoder(mlir::MLIRContext &context, const VisionSpec &spec,
                   const VisionWeights &weights) {
  LoadBuilderDialects(context);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::ModuleOp::create(mlir::UnknownLoc::get(&context));
  if (absl::Status s = AddVisionEncoder(*module, spec, weights); !s.ok())
    return s;
  return module;
}

} // namespace gemma
