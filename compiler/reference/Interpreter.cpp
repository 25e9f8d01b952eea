//===- Interpreter.cpp - Run a gemma function op by op --------------------===//

#include "compiler/reference/Interpreter.h"
#include "compiler/reference/VisionKernels.h"

#include "dialects/gemma/GemmaOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"

#include <fmt/format.h>

namespace gemma::reference {
namespace {

namespace ir = ::gemma::ir;

std::vector<int64_t> ShapeOf(mlir::Value value) {
  auto shape = llvm::cast<mlir::RankedTensorType>(value.getType()).getShape();
  return {shape.begin(), shape.end()};
}

class Frame {
public:
  explicit Frame(const WeightProvider &weights) : weights_(weights) {}

  void Bind(mlir::Value value, Value data) {
    values_[value.getAsOpaquePointer()] = std::move(data);
  }

  const Tensor &F32(mlir::Value value) {
    return std::get<Tensor>(values_.at(value.getAsOpaquePointer()));
  }
  const std::vector<int32_t> &I32(mlir::Value value) {
    return std::get<std::vector<int32_t>>(
        values_.at(value.getAsOpaquePointer()));
  }
  Value Take(mlir::Value value) {
    return values_.at(value.getAsOpaquePointer());
  }

  // Weights are looked up once per symbol and kept for the run; a null
  // symbol (an optional weight that is absent) gives a null pointer.
  absl::StatusOr<const WeightRows *> Weight(mlir::FlatSymbolRefAttr symbol) {
    if (!symbol)
      return nullptr;
    std::string name = symbol.getValue().str();
    auto it = weight_cache_.find(name);
    if (it == weight_cache_.end()) {
      absl::StatusOr<WeightRows> rows = weights_(name);
      if (!rows.ok())
        return rows.status();
      it = weight_cache_.emplace(name, *std::move(rows)).first;
    }
    return &it->second;
  }

  // The unfused ops; the fused ones (and the error for an op the evaluator
  // cannot run) in ExecuteFused.
  absl::Status Execute(mlir::Operation *op);
  absl::Status ExecuteFused(mlir::Operation *op);
  absl::Status ExecuteVision(mlir::Operation *op);

private:
  const WeightProvider &weights_;
  llvm::DenseMap<void *, Value> values_;
  std::map<std::string, WeightRows> weight_cache_;
};

NormWeight NormKind(std::optional<ir::NormScale> scale) {
  if (!scale)
    return NormWeight::kNone;
  return *scale == ir::NormScale::PlusOne ? NormWeight::kPlusOne
                                          : NormWeight::kPlain;
}

std::vector<RowRange> Ranges(std::optional<llvm::ArrayRef<int64_t>> rows) {
  std::vector<RowRange> ranges;
  if (rows)
    for (size_t i = 0; i < rows->size(); i += 2)
      ranges.push_back({(*rows)[i], (*rows)[i + 1]});
  return ranges;
}

absl::Status Frame::Execute(mlir::Operation *op) {
  // Ops that produce an f32 tensor from kernels that cannot fail.
  auto bind = [&](Tensor t) {
    Bind(op->getResult(0), std::move(t));
    return absl::OkStatus();
  };
  return llvm::TypeSwitch<mlir::Operation *, absl::Status>(op)
      .Case([&](ir::MoeExpertsOp m) -> absl::Status {
        absl::StatusOr<const WeightRows *> scale =
            Weight(m.getExpertScaleAttr());
        absl::StatusOr<const WeightRows *> gate_up = Weight(m.getGateUpAttr());
        absl::StatusOr<const WeightRows *> down = Weight(m.getDownAttr());
        for (const auto *w : {&scale, &gate_up, &down})
          if (!w->ok())
            return w->status();
        return bind(MoeExperts(F32(m.getInput()), F32(m.getLogits()), **scale,
                               **gate_up, **down, int64_t(m.getTopK())));
      })
      .Case([&](ir::EmbedOp e) -> absl::Status {
        absl::StatusOr<const WeightRows *> table = Weight(e.getTableAttr());
        if (!table.ok())
          return table.status();
        int64_t first = 0, width = -1;
        if (std::optional<llvm::ArrayRef<int64_t>> cols = e.getCols()) {
          first = (*cols)[0];
          width = (*cols)[1] - (*cols)[0];
        }
        absl::StatusOr<Tensor> x =
            Embed(I32(e.getIds()), **table, e.getScale().convertToFloat(),
                  first, width);
        if (!x.ok())
          return x.status();
        return bind(*std::move(x));
      })
      .Case([&](ir::RmsNormOp n) -> absl::Status {
        absl::StatusOr<const WeightRows *> weight_or =
            Weight(n.getWeightAttr());
        if (!weight_or.ok())
          return weight_or.status();
        const WeightRows *weight = *weight_or;
        return bind(RmsNorm(F32(n.getInput()), weight,
                            NormKind(n.getWeightScale()),
                            n.getEpsilon().convertToFloat()));
      })
      .Case([&](ir::MatmulOp m) -> absl::Status {
        absl::StatusOr<const WeightRows *> w = Weight(m.getWeightAttr());
        if (!w.ok())
          return w.status();
        if (m.getHeads())
          return bind(
              MatmulHeads(F32(m.getInput()), **w, ShapeOf(m.getResult())));
        return bind(Matmul(F32(m.getInput()), **w, Ranges(m.getWeightRows()),
                           ShapeOf(m.getResult())));
      })
      .Case([&](ir::ScaleOp s) -> absl::Status {
        float factor = 0.0f;
        if (s.getWeightAttr()) {
          absl::StatusOr<const WeightRows *> w = Weight(s.getWeightAttr());
          if (!w.ok())
            return w.status();
          (*w)->decode(0, &factor);
        } else {
          factor = s.getFactor()->convertToFloat();
        }
        return bind(Unary(F32(s.getInput()), UnaryFn::kScale, factor));
      })
      .Case([&](ir::RopeOp r) {
        return bind(Rope(F32(r.getInput()), I32(r.getPositions()),
                         r.getBase().convertToDouble(),
                         r.getScale().convertToDouble(),
                         r.getFraction().convertToDouble()));
      })
      .Case([&](ir::KvWriteOp w) {
        return bind(KvWrite(F32(w.getCache()), F32(w.getInput()),
                            I32(w.getPositions())));
      })
      .Case([&](ir::AttnScoresOp a) {
        return bind(AttnScores(F32(a.getQuery()), F32(a.getKeys()),
                               a.getScale().convertToFloat()));
      })
      .Case([&](ir::WindowMaskOp m) {
        std::optional<int64_t> window;
        if (std::optional<uint64_t> w = m.getWindow())
          window = static_cast<int64_t>(*w);
        return bind(
            WindowMask(F32(m.getScores()), I32(m.getPositions()), window));
      })
      .Case([&](ir::SoftmaxOp s) -> absl::Status {
        absl::StatusOr<Tensor> p = Softmax(F32(s.getInput()));
        if (!p.ok())
          return p.status();
        return bind(*std::move(p));
      })
      .Case([&](ir::AttnValuesOp a) {
        return bind(AttnValues(F32(a.getProbs()), F32(a.getValues())));
      })
      .Case([&](ir::UnaryOpInterface u) {
        return bind(Unary(F32(u.getInput()), u.getUnaryFunction(),
                          u.getUnaryParameter()));
      })
      .Case([&](ir::BinaryOpInterface b) {
        return bind(
            Binary(F32(b.getLhs()), F32(b.getRhs()), b.getBinaryFunction()));
      })
      .Case([&](ir::LogitsOp l) -> absl::Status {
        absl::StatusOr<const WeightRows *> table = Weight(l.getTableAttr());
        if (!table.ok())
          return table.status();
        return bind(
            Logits(F32(l.getInput()), **table, ShapeOf(l.getResult()).back()));
      })
      // Fused ops: the composition of the kernels of their groups, so a
      // fused module computes exactly what the unfused one does.
      .Case([&](ir::ArgmaxOp a) {
        Bind(a.getResult(), Argmax(F32(a.getInput())));
        return absl::OkStatus();
      })
      .Default([&](mlir::Operation *other) { return ExecuteFused(other); });
}

absl::Status Frame::ExecuteFused(mlir::Operation *op) {
  auto bind = [&](Tensor t) {
    Bind(op->getResult(0), std::move(t));
    return absl::OkStatus();
  };
  return llvm::TypeSwitch<mlir::Operation *, absl::Status>(op)
      .Case([&](ir::FusedGegluOp g) -> absl::Status {
        absl::StatusOr<const WeightRows *> gate = Weight(g.getGateWeightAttr());
        if (!gate.ok())
          return gate.status();
        absl::StatusOr<const WeightRows *> up = Weight(g.getUpWeightAttr());
        if (!up.ok())
          return up.status();
        const Tensor &x = F32(g.getInput());
        std::vector<int64_t> shape = ShapeOf(g.getResult());
        return bind(
            Mul(GeluTanh(Matmul(x, **gate, Ranges(g.getGateRows()), shape)),
                Matmul(x, **up, Ranges(g.getUpRows()), shape)));
      })
      .Case([&](ir::FusedNormMatmulOp m) -> absl::Status {
        absl::StatusOr<const WeightRows *> norm_or =
            Weight(m.getNormWeightAttr());
        if (!norm_or.ok())
          return norm_or.status();
        const WeightRows *norm = *norm_or;
        absl::StatusOr<const WeightRows *> w = Weight(m.getWeightAttr());
        if (!w.ok())
          return w.status();
        return bind(
            Matmul(RmsNorm(F32(m.getInput()), norm, NormKind(m.getNormScale()),
                           m.getEpsilon().convertToFloat()),
                   **w, Ranges(m.getWeightRows()), ShapeOf(m.getResult())));
      })
      .Case([&](ir::FusedQkvRopeOp f) -> absl::Status {
        absl::StatusOr<const WeightRows *> wq = Weight(f.getQWeightAttr()),
                                           wk = Weight(f.getKWeightAttr()),
                                           wv = Weight(f.getVWeightAttr()),
                                           qn = Weight(f.getQueryNormAttr()),
                                           kn = Weight(f.getKeyNormAttr());
        for (const auto *w : {&wq, &wk, &wv, &qn, &kn})
          if (!w->ok())
            return w->status();
        const Tensor &x = F32(f.getInput());
        std::span<const int32_t> positions = I32(f.getPositions());
        std::vector<int64_t> kc = ShapeOf(f.getKCache()),
                             vc = ShapeOf(f.getVCache());
        const int64_t n = x.shape[0];
        const float eps = f.getEpsilon().convertToFloat();
        Tensor q = Matmul(x, **wq, Ranges(f.getQRows()), ShapeOf(f.getQuery()));
        Tensor k = Matmul(x, **wk, Ranges(f.getKRows()), {n, kc[2], kc[3]});
        Tensor v =
            *wv ? Matmul(x, **wv, Ranges(f.getVRows()), {n, vc[2], vc[3]}) : k;
        if (*qn) {
          q = RmsNorm(q, *qn, NormKind(f.getQkScale()), eps);
          k = RmsNorm(k, *kn, NormKind(f.getQkScale()), eps);
        }
        if (f.getValueNorm())
          v = RmsNorm(v, nullptr, NormWeight::kNone, eps);
        const double base = f.getBase().convertToDouble(),
                     scale = f.getScale().convertToDouble(),
                     fraction = f.getFraction().convertToDouble();
        q = Rope(q, positions, base, scale, fraction);
        k = Rope(k, positions, base, scale, fraction);
        Tensor keys = KvWrite(F32(f.getKCache()), k, positions);
        Tensor values = KvWrite(F32(f.getVCache()), v, positions);
        Bind(f.getQuery(), std::move(q));
        Bind(f.getKeys(), std::move(keys));
        Bind(f.getValues(), std::move(values));
        return absl::OkStatus();
      })
      .Case([&](ir::FusedResidualNormOp r) -> absl::Status {
        absl::StatusOr<const WeightRows *> weight_or =
            Weight(r.getWeightAttr());
        if (!weight_or.ok())
          return weight_or.status();
        const WeightRows *weight = *weight_or;
        Tensor sum = Add(F32(r.getLhs()), F32(r.getRhs()));
        Tensor normed = RmsNorm(sum, weight, NormKind(r.getWeightScale()),
                                r.getEpsilon().convertToFloat());
        Bind(r.getSum(), std::move(sum));
        Bind(r.getNormed(), std::move(normed));
        return absl::OkStatus();
      })
      .Case([&](ir::FusedAttentionOp a) -> absl::Status {
        Tensor scores = AttnScores(F32(a.getQuery()), F32(a.getKeys()),
                                   a.getScale().convertToFloat());
        if (std::optional<llvm::APFloat> cap = a.getCap())
          scores = Softcap(scores, cap->convertToFloat());
        std::optional<int64_t> window;
        if (std::optional<uint64_t> w = a.getWindow())
          window = static_cast<int64_t>(*w);
        absl::StatusOr<Tensor> probs =
            Softmax(WindowMask(scores, I32(a.getPositions()), window));
        if (!probs.ok())
          return probs.status();
        return bind(AttnValues(*probs, F32(a.getValues())));
      })
      .Case([&](ir::FusedLogitsOp l) -> absl::Status {
        absl::StatusOr<const WeightRows *> table = Weight(l.getTableAttr());
        if (!table.ok())
          return table.status();
        Tensor logits =
            Logits(F32(l.getInput()), **table, ShapeOf(l.getResult()).back());
        if (std::optional<llvm::APFloat> cap = l.getCap())
          logits = Softcap(logits, cap->convertToFloat());
        return bind(std::move(logits));
      })
      .Default([&](mlir::Operation *other) { return ExecuteVision(other); });
}

absl::Status Frame::ExecuteVision(mlir::Operation *op) {
  auto bind = [&](Tensor t) {
    Bind(op->getResult(0), std::move(t));
    return absl::OkStatus();
  };
  return llvm::TypeSwitch<mlir::Operation *, absl::Status>(op)
      .Case([&](ir::LayerNormOp n) -> absl::Status {
        absl::StatusOr<const WeightRows *> w = Weight(n.getWeightAttr());
        absl::StatusOr<const WeightRows *> b = Weight(n.getBiasAttr());
        for (const auto *rows : {&w, &b})
          if (!rows->ok())
            return rows->status();
        return bind(LayerNorm(F32(n.getInput()), **w, **b,
                              n.getEpsilon().convertToFloat()));
      })
      .Case([&](ir::AddWeightOp a) -> absl::Status {
        absl::StatusOr<const WeightRows *> w = Weight(a.getWeightAttr());
        if (!w.ok())
          return w.status();
        return bind(AddWeight(F32(a.getInput()), **w));
      })
      .Case([&](ir::FullAttentionOp a) -> absl::Status {
        absl::StatusOr<Tensor> out =
            FullAttention(F32(a.getQuery()), F32(a.getKeys()),
                          F32(a.getValues()), a.getScale().convertToFloat());
        if (!out.ok())
          return out.status();
        return bind(*std::move(out));
      })
      .Case([&](ir::ReplaceRowsOp r) {
        return bind(ReplaceRows(F32(r.getInput()), F32(r.getReplacement()),
                                I32(r.getIds()), r.getToken()));
      })
      .Case([&](ir::ImageMaskOp m) -> absl::Status {
        std::optional<int64_t> window;
        if (std::optional<uint64_t> w = m.getWindow())
          window = static_cast<int64_t>(*w);
        absl::StatusOr<Tensor> masked =
            ImageMask(F32(m.getScores()), I32(m.getPositions()),
                      I32(m.getHorizons()), window);
        if (!masked.ok())
          return masked.status();
        return bind(*std::move(masked));
      })
      .Case([&](ir::AvgPoolOp p) {
        return bind(AvgPool(F32(p.getInput()), p.getGrid()[0], p.getGrid()[1],
                            p.getKernel()));
      })
      .Default([&](mlir::Operation *other) {
        return absl::UnimplementedError(
            fmt::format("the reference evaluator cannot run '{}'",
                        other->getName().getStringRef().str()));
      });
}

} // namespace

absl::StatusOr<std::vector<Value>> RunFunction(mlir::ModuleOp module,
                                               llvm::StringRef function,
                                               std::vector<Value> args,
                                               const WeightProvider &weights) {
  auto func = module.lookupSymbol<mlir::func::FuncOp>(function);
  if (!func)
    return absl::NotFoundError(
        fmt::format("no function @{} in the module", function.str()));
  mlir::Block &body = func.getBody().front();
  if (args.size() != body.getNumArguments())
    return absl::InvalidArgumentError(
        fmt::format("@{} takes {} arguments, got {}", function.str(),
                    body.getNumArguments(), args.size()));
  Frame frame(weights);
  for (auto [arg, value] : llvm::zip(body.getArguments(), args)) {
    // Check each argument against its declared type before running.
    bool is_f32 = std::holds_alternative<Tensor>(value);
    auto type = llvm::cast<mlir::RankedTensorType>(arg.getType());
    int64_t expected = type.getNumElements();
    int64_t actual =
        is_f32 ? static_cast<int64_t>(std::get<Tensor>(value).data.size())
               : static_cast<int64_t>(
                     std::get<std::vector<int32_t>>(value).size());
    if (is_f32 != type.getElementType().isF32() || expected != actual)
      return absl::InvalidArgumentError(
          fmt::format("argument {} of @{} does not match its type",
                      arg.getArgNumber(), function.str()));
    if (is_f32)
      std::get<Tensor>(value).shape = ShapeOf(arg);
    frame.Bind(arg, std::move(value));
  }
  for (mlir::Operation &op : body) {
    if (auto ret = llvm::dyn_cast<mlir::func::ReturnOp>(op)) {
      std::vector<Value> results;
      for (mlir::Value v : ret.getOperands())
        results.push_back(frame.Take(v));
      return results;
    }
    if (absl::Status status = frame.Execute(&op); !status.ok())
      return status;
  }
  return absl::InternalError("function body has no return");
}

} // namespace gemma::reference
