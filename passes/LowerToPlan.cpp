//===- LowerToPlan.cpp - gemma functions as plan functions ----------------===//
//
// One op, one kernel call: the walk below is the only place that knows
// which static parameters each kernel takes from a gemma op (their layout is
// documented and checked in runtime/plan/PlanProgram.cpp). Intermediates
// stay unplaced (`plan.alloc`) for plan-place-buffers.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

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

// A count, then [begin, end] pairs.
void AppendRanges(std::vector<int64_t> &ints,
                  std::optional<llvm::ArrayRef<int64_t>> rows) {
  ints.push_back(rows ? int64_t(rows->size() / 2) : 0);
  if (rows)
    ints.insert(ints.end(), rows->begin(), rows->end());
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
  void Emit(Kernel kernel, llvm::ArrayRef<mlir::Value> buffers,
            llvm::ArrayRef<std::string> weights, llvm::ArrayRef<int64_t> ints,
            llvm::ArrayRef<double> reals = {}) {
    llvm::SmallVector<llvm::StringRef> names(weights.begin(), weights.end());
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
        // A third int: the first column read (a per-layer slice).
        std::vector<int64_t> ints = {out[0], out[1]};
        if (std::optional<llvm::ArrayRef<int64_t>> cols = e.getCols())
          ints.push_back((*cols)[0]);
        Emit(Kernel::Embed, {Of(e.getIds()), Define(e.getResult())},
             {Name(e.getTableAttr())}, ints, {e.getScale().convertToDouble()});
        return mlir::success();
      })
      .Case([&](ir::RmsNormOp n) {
        const int64_t width = ShapeOf(n.getInput()).back();
        Emit(
            Kernel::RmsNorm, {Of(n.getInput()), Define(n.getResult())},
            {Name(n.getWeightAttr())},
            {Elements(n.getInput()) / width, width, KindOf(n.getWeightScale())},
            {n.getEpsilon().convertToDouble()});
        return mlir::success();
      })
      .Case([&](ir::MatmulOp m) {
        const std::vector<int64_t> in = ShapeOf(m.getInput());
        const int64_t n = in[0], out = Elements(m.getResult()) / n;
        if (m.getHeads()) {
          Emit(Kernel::MatmulHeads, {Of(m.getInput()), Define(m.getResult())},
               {Name(m.getWeightAttr())}, {n, in[1], in[2], out});
          return mlir::success();
        }
        std::vector<int64_t> ints = {n, Elements(m.getInput()) / n, out};
        AppendRanges(ints, m.getWeightRows());
        Emit(Kernel::Matmul, {Of(m.getInput()), Define(m.getResult())},
             {Name(m.getWeightAttr())}, ints);
        return mlir::success();
      })
      .Case([&](ir::ScaleOp s) {
        Emit(Kernel::Scale, {Of(s.getInput()), Define(s.getResult())},
             {Name(s.getWeightAttr())}, {Elements(s.getInput())},
             {s.getFactor() ? s.getFactor()->convertToDouble() : 0.0});
        return mlir::success();
      })
      .Case([&](ir::RopeOp r) {
        const std::vector<int64_t> s = ShapeOf(r.getInput());
        Emit(Kernel::Rope,
             {Of(r.getInput()), Of(r.getPositions()), Define(r.getResult())},
             {}, {s[0], s[1], s[2]},
             {r.getBase().convertToDouble(), r.getScale().convertToDouble(),
              r.getFraction().convertToDouble()});
        return mlir::success();
      })
      .Case([&](ir::KvWriteOp w) -> mlir::LogicalResult {
        if (failed(Alias(w.getResult(), w.getCache(), op)))
          return mlir::failure();
        const std::vector<int64_t> c = ShapeOf(w.getCache());
        Emit(Kernel::KvWrite,
             {Of(w.getInput()), Of(w.getPositions()), Of(w.getCache())}, {},
             {c[0], c[1], c[2] * c[3], ShapeOf(w.getInput())[0]});
        return mlir::success();
      })
      .Case([&](ir::AttnScoresOp a) {
        const std::vector<int64_t> q = ShapeOf(a.getQuery()),
                                   k = ShapeOf(a.getKeys());
        Emit(Kernel::AttnScores,
             {Of(a.getQuery()), Of(a.getKeys()), Define(a.getResult())}, {},
             {q[0], q[1], q[2], k[0], k[1], k[2], k[3]},
             {a.getScale().convertToDouble()});
        return mlir::success();
      })
      .Case([&](ir::WindowMaskOp m) {
        const std::vector<int64_t> s = ShapeOf(m.getScores());
        Emit(Kernel::WindowMask,
             {Of(m.getScores()), Of(m.getPositions()), Define(m.getResult())},
             {},
             {s[0], s[1], s[2], m.getWindow() ? int64_t(*m.getWindow()) : 0});
        return mlir::success();
      })
      .Case([&](ir::SoftmaxOp s) {
        const int64_t width = ShapeOf(s.getInput()).back();
        Emit(Kernel::Softmax, {Of(s.getInput()), Define(s.getResult())}, {},
             {Elements(s.getInput()) / width, width});
        return mlir::success();
      })
      .Case([&](ir::AttnValuesOp a) {
        const std::vector<int64_t> p = ShapeOf(a.getProbs()),
                                   v = ShapeOf(a.getValues());
        Emit(Kernel::AttnValues,
             {Of(a.getProbs()), Of(a.getValues()), Define(a.getResult())}, {},
             {p[0], p[1], v[3], v[0], v[1], v[2], v[3]});
        return mlir::success();
      })
      .Case([&](ir::UnaryOpInterface u) {
        Emit(Kernel::Unary, {Of(u.getInput()), Define(u.getResult())}, {},
             {Elements(u.getInput()), int64_t(u.getUnaryFunction())},
             {double(u.getUnaryParameter())});
        return mlir::success();
      })
      .Case([&](ir::AddOp a) {
        Emit(Kernel::Add,
             {Of(a.getLhs()), Of(a.getRhs()), Define(a.getResult())}, {},
             {Elements(a.getLhs())});
        return mlir::success();
      })
      .Case([&](ir::MulOp m) {
        Emit(Kernel::Mul,
             {Of(m.getLhs()), Of(m.getRhs()), Define(m.getResult())}, {},
             {Elements(m.getLhs())});
        return mlir::success();
      })
      .Case([&](ir::LogitsOp l) {
        const std::vector<int64_t> in = ShapeOf(l.getInput());
        Emit(Kernel::Logits, {Of(l.getInput()), Define(l.getResult())},
             {Name(l.getTableAttr())},
             {in[0], in[1], ShapeOf(l.getResult())[1]}, {0.0});
        return mlir::success();
      })
      .Default([&](mlir::Operation *other) { return LowerFused(other); });
}

mlir::LogicalResult Lowering::LowerFused(mlir::Operation *op) {
  return llvm::TypeSwitch<mlir::Operation *, mlir::LogicalResult>(op)
      .Case([&](ir::FusedLogitsOp l) {
        const std::vector<int64_t> in = ShapeOf(l.getInput());
        Emit(Kernel::Logits, {Of(l.getInput()), Define(l.getResult())},
             {Name(l.getTableAttr())},
             {in[0], in[1], ShapeOf(l.getResult())[1]},
             {l.getCap() ? l.getCap()->convertToDouble() : 0.0});
        return mlir::success();
      })
      .Case([&](ir::FusedAttentionOp a) {
        const std::vector<int64_t> q = ShapeOf(a.getQuery()),
                                   k = ShapeOf(a.getKeys()),
                                   v = ShapeOf(a.getValues());
        Emit(Kernel::Attention,
             {Of(a.getQuery()), Of(a.getKeys()), Of(a.getValues()),
              Of(a.getPositions()), Define(a.getResult())},
             {},
             {q[0], q[1], q[2], k[0], k[1], k[2], v[3],
              a.getWindow() ? int64_t(*a.getWindow()) : 0},
             {a.getScale().convertToDouble(),
              a.getCap() ? a.getCap()->convertToDouble() : 0.0});
        return mlir::success();
      })
      .Case([&](ir::FusedGegluOp g) {
        const int64_t n = ShapeOf(g.getInput())[0];
        mlir::Value out = Define(g.getResult());
        std::vector<int64_t> ints = {n, Elements(g.getInput()) / n,
                                     Elements(g.getResult()) / n};
        AppendRanges(ints, g.getGateRows());
        AppendRanges(ints, g.getUpRows());
        Emit(Kernel::Geglu,
             {Of(g.getInput()), out, Scratch(Elements(g.getResult()))},
             {Name(g.getGateWeightAttr()), Name(g.getUpWeightAttr())}, ints);
        return mlir::success();
      })
      .Case([&](ir::MoeExpertsOp m) {
        const std::vector<int64_t> in = ShapeOf(m.getInput());
        const std::vector<int64_t> logits = ShapeOf(m.getLogits());
        auto gate_up = mlir::SymbolTable::lookupNearestSymbolFrom<ir::ParamOp>(
            m, m.getGateUpAttr());
        const int64_t ff =
            gate_up.getWeightType().getShape()[0] / (2 * logits[1]);
        Emit(Kernel::MoeExperts,
             {Of(m.getInput()), Of(m.getLogits()), Define(m.getResult())},
             {Name(m.getExpertScaleAttr()), Name(m.getGateUpAttr()),
              Name(m.getDownAttr())},
             {in[0], in[1], logits[1], ff, int64_t(m.getTopK())});
        return mlir::success();
      })
      .Case([&](ir::FusedResidualNormOp r) {
        const int64_t width = ShapeOf(r.getLhs()).back();
        mlir::Value sum = Define(r.getSum()), normed = Define(r.getNormed());
        Emit(Kernel::ResidualNorm,
             {Of(r.getLhs()), Of(r.getRhs()), sum, normed},
             {Name(r.getWeightAttr())},
             {Elements(r.getLhs()) / width, width, KindOf(r.getWeightScale())},
             {r.getEpsilon().convertToDouble()});
        return mlir::success();
      })
      .Case([&](ir::FusedNormMatmulOp m) {
        const std::vector<int64_t> in = ShapeOf(m.getInput());
        const int64_t n = in[0];
        mlir::Value out = Define(m.getResult());
        std::vector<int64_t> ints = {n, Elements(m.getInput()) / n,
                                     Elements(m.getResult()) / n, in.back(),
                                     KindOf(m.getNormScale())};
        AppendRanges(ints, m.getWeightRows());
        Emit(Kernel::NormMatmul,
             {Of(m.getInput()), out, Scratch(Elements(m.getInput()))},
             {Name(m.getNormWeightAttr()), Name(m.getWeightAttr())}, ints,
             {m.getEpsilon().convertToDouble()});
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
        std::vector<int64_t> ints = {n,
                                     in[1],
                                     qs[1],
                                     qs[2],
                                     kc[0],
                                     kc[1],
                                     kc[2],
                                     vc[0],
                                     vc[1],
                                     vc[2],
                                     vc[3],
                                     KindOf(q.getQkScale()),
                                     q.getValueNorm() ? 1 : 0};
        AppendRanges(ints, q.getQRows());
        AppendRanges(ints, q.getKRows());
        AppendRanges(ints, q.getVRows());
        Emit(Kernel::QkvRope,
             {Of(q.getInput()), Of(q.getPositions()), Of(q.getKCache()),
              Of(q.getVCache()), out, k, v},
             {Name(q.getQWeightAttr()), Name(q.getKWeightAttr()),
              Name(q.getVWeightAttr()), Name(q.getQueryNormAttr()),
              Name(q.getKeyNormAttr())},
             ints,
             {q.getEpsilon().convertToDouble(), q.getBase().convertToDouble(),
              q.getScale().convertToDouble(),
              q.getFraction().convertToDouble()});
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
