//===- LowerToPlan.cpp - gemma functions as plan functions ----------------===//
//
// One op, one kernel call: the walk below is the only place that knows
// which static parameters each kernel takes from a gemma op; it fills the
// kernel's parameter struct (runtime/plan/KernelParams.h), which encodes
// them. Intermediates
// stay unplaced (`plan.alloc`) for plan-place-buffers.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "runtime/plan/KernelParams.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"

namespace gemma {

#define GEN_PASS_DEF_LOWERTOPLAN
#include "passes/Passes.h.inc"

namespace {

using plan::ir::Kernel;

int64_t Elements(mlir::Value value) {
  return mlir::cast<mlir::RankedTensorType>(value.getType()).getNumElements();
}

std::vector<int64_t> ShapeOf(mlir::Value value) {
  auto shape = mlir::cast<mlir::RankedTensorType>(value.getType()).getShape();
  return {shape.begin(), shape.end()};
}

plan::ir::BufferType BufferOf(mlir::Type type) {
  auto tensor = mlir::cast<mlir::RankedTensorType>(type);
  return plan::ir::BufferType::get(type.getContext(), tensor.getNumElements(),
                                   tensor.getElementType());
}

// 0: no weight, 1: 1 + w, 2: w (the CPU kernels' NormKind order).
int64_t KindOf(std::optional<ir::NormScale> scale) {
  if (!scale)
    return 0;
  return *scale == ir::NormScale::PlusOne ? 1 : 2;
}

std::string Name(mlir::FlatSymbolRefAttr symbol) {
  return symbol ? symbol.getValue().str() : std::string();
}

// An op's row ranges ([begin, end) pairs, flattened) as a kernel's.
std::vector<plan::RowRange>
RangesOf(std::optional<llvm::ArrayRef<int64_t>> rows) {
  std::vector<plan::RowRange> ranges;
  if (rows)
    for (size_t k = 0; k + 1 < rows->size(); k += 2)
      ranges.push_back({(*rows)[k], (*rows)[k + 1]});
  return ranges;
}

// Builds the plan function of one gemma function, before it.
class Lowering {
public:
  explicit Lowering(mlir::func::FuncOp func)
      : func_(func), builder_(func), f32_(builder_.getF32Type()) {}

  // The plan function; null (after an error on the failing op) when some op
  // has no kernel.
  mlir::func::FuncOp Run();

private:
  // The unfused ops; the fused ones (and the error for an op without a
  // kernel) in LowerFused.
  mlir::LogicalResult Lower(mlir::Operation *op);
  mlir::LogicalResult LowerFused(mlir::Operation *op);
  mlir::Value Of(mlir::Value v) { return values_.lookup(v); }
  mlir::Value Scratch(int64_t elements) {
    return plan::ir::AllocOp::create(
        builder_, loc_,
        plan::ir::BufferType::get(builder_.getContext(), elements, f32_));
  }
  mlir::Value Define(mlir::Value value) {
    mlir::Value buffer = Scratch(Elements(value));
    values_[value] = buffer;
    return buffer;
  }
  mlir::LogicalResult Alias(mlir::Value result, mlir::Value cache,
                            mlir::Operation *op) {
    if (!mlir::isa<mlir::BlockArgument>(cache) || !cache.hasOneUse())
      return op->emitOpError()
             << "in @" << func_.getName()
             << " updates a KV cache in place: the cache must be a function "
                "argument with no other reader";
    values_[result] = values_.lookup(cache);
    return mlir::success();
  }
  // A call of P's kernel with the parameters `p` (encoded as the .plan
  // file stores them, runtime/plan/KernelParams.h).
  template <class P>
  void Emit(const P &p, llvm::ArrayRef<mlir::Value> buffers,
            llvm::ArrayRef<std::string> weights = {}) {
    std::vector<int64_t> ints;
    std::vector<double> reals;
    plan::EncodeParams(p, ints, reals);
    llvm::SmallVector<llvm::StringRef> names(weights.begin(), weights.end());
    const auto kernel = static_cast<Kernel>(P::kKernel);
    plan::ir::CallOp::create(
        builder_, loc_,
        plan::ir::KernelAttr::get(builder_.getContext(), kernel), buffers,
        names.empty() ? nullptr : builder_.getStrArrayAttr(names),
        ints.empty() ? nullptr : builder_.getDenseI64ArrayAttr(ints),
        reals.empty() ? nullptr : builder_.getDenseF64ArrayAttr(reals));
  }

  mlir::func::FuncOp func_;
  mlir::OpBuilder builder_;
  mlir::Type f32_;
  mlir::Location loc_ = builder_.getUnknownLoc();
  llvm::DenseMap<mlir::Value, mlir::Value> values_;
};

mlir::func::FuncOp Lowering::Run() {
  mlir::Block &body = func_.getBody().front();
  llvm::SmallVector<mlir::Type> inputs;
  for (mlir::Type type : func_.getArgumentTypes())
    inputs.push_back(BufferOf(type));
  auto lowered =
      mlir::func::FuncOp::create(builder_, func_.getLoc(), func_.getName(),
                                 builder_.getFunctionType(inputs, {}));
  mlir::Block *entry = lowered.addEntryBlock();
  for (auto [from, to] : llvm::zip(body.getArguments(), entry->getArguments()))
    values_[from] = to;
  builder_.setInsertionPointToStart(entry);
  for (mlir::Operation &op : body) {
    loc_ = op.getLoc();
    if (auto ret = mlir::dyn_cast<mlir::func::ReturnOp>(op)) {
      llvm::SmallVector<mlir::Value> results;
      for (mlir::Value v : ret.getOperands())
        results.push_back(Of(v));
      mlir::func::ReturnOp::create(builder_, loc_, results);
      lowered.setFunctionType(builder_.getFunctionType(
          inputs, mlir::ValueRange(results).getTypes()));
      break;
    }
    if (failed(Lower(&op))) {
      lowered.erase();
      return nullptr;
    }
  }
  return lowered;
}

mlir::LogicalResult Lowering::Lower(mlir::Operation *op) {
  return llvm::TypeSwitch<mlir::Operation *, mlir::LogicalResult>(op)
      .Case([&](ir::EmbedOp e) {
        const std::vector<int64_t> out = ShapeOf(e.getResult());
        plan::EmbedParams p;
        p.n = out[0];
        p.width = out[1];
        if (std::optional<llvm::ArrayRef<int64_t>> cols = e.getCols())
          p.first_column = (*cols)[0]; // a per-layer slice
        p.scale = e.getScale().convertToDouble();
        Emit(p, {Of(e.getIds()), Define(e.getResult())},
             {Name(e.getTableAttr())});
        return mlir::success();
      })
      .Case([&](ir::RmsNormOp n) {
        plan::RmsNormParams p;
        p.width = ShapeOf(n.getInput()).back();
        p.rows = Elements(n.getInput()) / p.width;
        p.kind = KindOf(n.getWeightScale());
        p.eps = n.getEpsilon().convertToDouble();
        Emit(p, {Of(n.getInput()), Define(n.getResult())},
             {Name(n.getWeightAttr())});
        return mlir::success();
      })
      .Case([&](ir::MatmulOp m) {
        const std::vector<int64_t> in = ShapeOf(m.getInput());
        const int64_t n = in[0], out = Elements(m.getResult()) / n;
        if (m.getHeads()) {
          Emit(
              plan::MatmulHeadsParams{
                  .n = n, .heads = in[1], .in_h = in[2], .out = out},
              {Of(m.getInput()), Define(m.getResult())},
              {Name(m.getWeightAttr())});
          return mlir::success();
        }
        Emit(plan::MatmulParams{.n = n,
                                .in = Elements(m.getInput()) / n,
                                .out = out,
                                .rows = RangesOf(m.getWeightRows())},
             {Of(m.getInput()), Define(m.getResult())},
             {Name(m.getWeightAttr())});
        return mlir::success();
      })
      .Case([&](ir::ScaleOp s) {
        // The unary table's `scale`, its parameter the factor or the
        // scalar weight.
        Emit(plan::UnaryParams{.elements = Elements(s.getInput()),
                               .function = int64_t(UnaryFn::kScale),
                               .parameter =
                                   s.getFactor()
                                       ? s.getFactor()->convertToDouble()
                                       : 0.0},
             {Of(s.getInput()), Define(s.getResult())},
             {Name(s.getWeightAttr())});
        return mlir::success();
      })
      .Case([&](ir::RopeOp r) {
        const std::vector<int64_t> s = ShapeOf(r.getInput());
        Emit(plan::RopeParams{.n = s[0],
                              .heads = s[1],
                              .dim = s[2],
                              .base = r.getBase().convertToDouble(),
                              .scale = r.getScale().convertToDouble(),
                              .fraction = r.getFraction().convertToDouble()},
             {Of(r.getInput()), Of(r.getPositions()), Define(r.getResult())});
        return mlir::success();
      })
      .Case([&](ir::KvWriteOp w) -> mlir::LogicalResult {
        if (failed(Alias(w.getResult(), w.getCache(), op)))
          return mlir::failure();
        const std::vector<int64_t> c = ShapeOf(w.getCache());
        Emit(plan::KvWriteParams{.batch = c[0],
                                 .slots = c[1],
                                 .width = c[2] * c[3],
                                 .n = ShapeOf(w.getInput())[0]},
             {Of(w.getInput()), Of(w.getPositions()), Of(w.getCache())});
        return mlir::success();
      })
      .Case([&](ir::AttnScoresOp a) {
        const std::vector<int64_t> q = ShapeOf(a.getQuery()),
                                   k = ShapeOf(a.getKeys());
        Emit(plan::AttnScoresParams{.rows = q[0],
                                    .heads = q[1],
                                    .dim = q[2],
                                    .batch = k[0],
                                    .slots = k[1],
                                    .kv_heads = k[2],
                                    .value_dim = k[3],
                                    .scale = a.getScale().convertToDouble()},
             {Of(a.getQuery()), Of(a.getKeys()), Define(a.getResult())});
        return mlir::success();
      })
      .Case([&](ir::WindowMaskOp m) {
        const std::vector<int64_t> s = ShapeOf(m.getScores());
        Emit(plan::WindowMaskParams{.rows = s[0],
                                    .heads = s[1],
                                    .slots = s[2],
                                    .window = m.getWindow()
                                                  ? int64_t(*m.getWindow())
                                                  : 0},
             {Of(m.getScores()), Of(m.getPositions()), Define(m.getResult())});
        return mlir::success();
      })
      .Case([&](ir::SoftmaxOp s) {
        const int64_t width = ShapeOf(s.getInput()).back();
        Emit(plan::SoftmaxParams{.rows = Elements(s.getInput()) / width,
                                 .width = width},
             {Of(s.getInput()), Define(s.getResult())});
        return mlir::success();
      })
      .Case([&](ir::AttnValuesOp a) {
        const std::vector<int64_t> p = ShapeOf(a.getProbs()),
                                   v = ShapeOf(a.getValues());
        Emit(plan::AttnValuesParams{.rows = p[0],
                                    .heads = p[1],
                                    .dim = v[3],
                                    .batch = v[0],
                                    .slots = v[1],
                                    .kv_heads = v[2],
                                    .value_dim = v[3]},
             {Of(a.getProbs()), Of(a.getValues()), Define(a.getResult())});
        return mlir::success();
      })
      .Case([&](ir::UnaryOpInterface u) {
        Emit(plan::UnaryParams{.elements = Elements(u.getInput()),
                               .function = int64_t(u.getUnaryFunction()),
                               .parameter = double(u.getUnaryParameter())},
             {Of(u.getInput()), Define(u.getResult())}, {""});
        return mlir::success();
      })
      .Case([&](ir::BinaryOpInterface b) {
        Emit(plan::BinaryParams{.elements = Elements(b.getLhs()),
                                .function = int64_t(b.getBinaryFunction())},
             {Of(b.getLhs()), Of(b.getRhs()), Define(b.getResult())});
        return mlir::success();
      })
      .Case([&](ir::LogitsOp l) {
        const std::vector<int64_t> in = ShapeOf(l.getInput());
        Emit(plan::LogitsParams{.n = in[0],
                                .width = in[1],
                                .vocab = ShapeOf(l.getResult())[1]},
             {Of(l.getInput()), Define(l.getResult())},
             {Name(l.getTableAttr())});
        return mlir::success();
      })
      .Default([&](mlir::Operation *other) { return LowerFused(other); });
}

mlir::LogicalResult Lowering::LowerFused(mlir::Operation *op) {
  return llvm::TypeSwitch<mlir::Operation *, mlir::LogicalResult>(op)
      .Case([&](ir::FusedLogitsOp l) {
        const std::vector<int64_t> in = ShapeOf(l.getInput());
        Emit(plan::LogitsParams{.n = in[0],
                                .width = in[1],
                                .vocab = ShapeOf(l.getResult())[1],
                                .cap = l.getCap()
                                           ? l.getCap()->convertToDouble()
                                           : 0.0},
             {Of(l.getInput()), Define(l.getResult())},
             {Name(l.getTableAttr())});
        return mlir::success();
      })
      .Case([&](ir::FusedAttentionOp a) {
        const std::vector<int64_t> q = ShapeOf(a.getQuery()),
                                   k = ShapeOf(a.getKeys()),
                                   v = ShapeOf(a.getValues());
        Emit(
            plan::AttentionParams{
                .rows = q[0],
                .heads = q[1],
                .dim = q[2],
                .batch = k[0],
                .slots = k[1],
                .kv_heads = k[2],
                .value_dim = v[3],
                .window = a.getWindow() ? int64_t(*a.getWindow()) : 0,
                .scale = a.getScale().convertToDouble(),
                .cap = a.getCap() ? a.getCap()->convertToDouble() : 0.0},
            {Of(a.getQuery()), Of(a.getKeys()), Of(a.getValues()),
             Of(a.getPositions()), Define(a.getResult())});
        return mlir::success();
      })
      .Case([&](ir::FusedGegluOp g) {
        const int64_t n = ShapeOf(g.getInput())[0];
        mlir::Value out = Define(g.getResult());
        Emit(plan::GegluParams{.n = n,
                               .in = Elements(g.getInput()) / n,
                               .width = Elements(g.getResult()) / n,
                               .gate_rows = RangesOf(g.getGateRows()),
                               .up_rows = RangesOf(g.getUpRows())},
             {Of(g.getInput()), out, Scratch(Elements(g.getResult()))},
             {Name(g.getGateWeightAttr()), Name(g.getUpWeightAttr())});
        return mlir::success();
      })
      .Case([&](ir::MoeExpertsOp m) {
        const std::vector<int64_t> in = ShapeOf(m.getInput());
        const std::vector<int64_t> logits = ShapeOf(m.getLogits());
        auto gate_up = mlir::SymbolTable::lookupNearestSymbolFrom<ir::ParamOp>(
            m, m.getGateUpAttr());
        Emit(
            plan::MoeExpertsParams{.n = in[0],
                                   .d = in[1],
                                   .experts = logits[1],
                                   .ff = gate_up.getWeightType().getShape()[0] /
                                         (2 * logits[1]),
                                   .top_k = int64_t(m.getTopK())},
            {Of(m.getInput()), Of(m.getLogits()), Define(m.getResult())},
            {Name(m.getExpertScaleAttr()), Name(m.getGateUpAttr()),
             Name(m.getDownAttr())});
        return mlir::success();
      })
      .Case([&](ir::FusedResidualNormOp r) {
        const int64_t width = ShapeOf(r.getLhs()).back();
        mlir::Value sum = Define(r.getSum()), normed = Define(r.getNormed());
        Emit(plan::ResidualNormParams{.rows = Elements(r.getLhs()) / width,
                                      .width = width,
                                      .kind = KindOf(r.getWeightScale()),
                                      .eps = r.getEpsilon().convertToDouble()},
             {Of(r.getLhs()), Of(r.getRhs()), sum, normed},
             {Name(r.getWeightAttr())});
        return mlir::success();
      })
      .Case([&](ir::FusedNormMatmulOp m) {
        const std::vector<int64_t> in = ShapeOf(m.getInput());
        const int64_t n = in[0];
        mlir::Value out = Define(m.getResult());
        Emit(plan::NormMatmulParams{.n = n,
                                    .in = Elements(m.getInput()) / n,
                                    .out = Elements(m.getResult()) / n,
                                    .width = in.back(),
                                    .kind = KindOf(m.getNormScale()),
                                    .rows = RangesOf(m.getWeightRows()),
                                    .eps = m.getEpsilon().convertToDouble()},
             {Of(m.getInput()), out, Scratch(Elements(m.getInput()))},
             {Name(m.getNormWeightAttr()), Name(m.getWeightAttr())});
        return mlir::success();
      })
      .Case([&](ir::FusedQkvRopeOp q) -> mlir::LogicalResult {
        if (failed(Alias(q.getKeys(), q.getKCache(), op)) ||
            failed(Alias(q.getValues(), q.getVCache(), op)))
          return mlir::failure();
        const std::vector<int64_t> in = ShapeOf(q.getInput()),
                                   qs = ShapeOf(q.getQuery()),
                                   kc = ShapeOf(q.getKCache()),
                                   vc = ShapeOf(q.getVCache());
        const int64_t n = in[0];
        mlir::Value out = Define(q.getQuery());
        mlir::Value k = Scratch(n * kc[2] * kc[3]),
                    v = Scratch(n * vc[2] * vc[3]);
        Emit(plan::QkvRopeParams{.n = n,
                                 .d = in[1],
                                 .heads = qs[1],
                                 .dim = qs[2],
                                 .k_batch = kc[0],
                                 .k_slots = kc[1],
                                 .kv_heads = kc[2],
                                 .v_batch = vc[0],
                                 .v_slots = vc[1],
                                 .v_heads = vc[2],
                                 .v_dim = vc[3],
                                 .kind = KindOf(q.getQkScale()),
                                 .value_norm = q.getValueNorm() ? 1 : 0,
                                 .q_rows = RangesOf(q.getQRows()),
                                 .k_rows = RangesOf(q.getKRows()),
                                 .v_rows = RangesOf(q.getVRows()),
                                 .eps = q.getEpsilon().convertToDouble(),
                                 .base = q.getBase().convertToDouble(),
                                 .scale = q.getScale().convertToDouble(),
                                 .fraction = q.getFraction().convertToDouble()},
             {Of(q.getInput()), Of(q.getPositions()), Of(q.getKCache()),
              Of(q.getVCache()), out, k, v},
             {Name(q.getQWeightAttr()), Name(q.getKWeightAttr()),
              Name(q.getVWeightAttr()), Name(q.getQueryNormAttr()),
              Name(q.getKeyNormAttr())});
        return mlir::success();
      })
      .Default([&](mlir::Operation *other) {
        return other->emitOpError()
               << "in @" << func_.getName() << " has no kernel to run it";
      });
}

} // namespace

struct LowerToPlanPass : impl::LowerToPlanBase<LowerToPlanPass> {
  void runOnOperation() override {
    mlir::ModuleOp module = getOperation();
    llvm::SmallVector<mlir::func::FuncOp> funcs;
    for (auto func : module.getOps<mlir::func::FuncOp>())
      if (!func.isExternal() &&
          llvm::all_of(func.getArgumentTypes(), [](mlir::Type t) {
            return mlir::isa<mlir::RankedTensorType>(t);
          }))
        funcs.push_back(func);
    for (mlir::func::FuncOp func : funcs) {
      if (!Lowering(func).Run())
        return signalPassFailure();
      func.erase();
    }
    for (auto param : llvm::make_early_inc_range(module.getOps<ir::ParamOp>()))
      param.erase();
  }
};

} // namespace gemma
