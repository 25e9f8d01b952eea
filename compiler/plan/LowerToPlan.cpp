//===- LowerToPlan.cpp - A gemma function as a plan program ---------------===//

#include "compiler/plan/LowerToPlan.h"

#include "compiler/plan/ArenaPlanner.h"
#include "dialects/gemma/GemmaOps.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"

#include <fmt/format.h>

namespace gemma::plan {
namespace {

int64_t Elements(mlir::Value value) {
  return mlir::cast<mlir::RankedTensorType>(value.getType()).getNumElements();
}

std::vector<int64_t> ShapeOf(mlir::Value value) {
  auto shape = mlir::cast<mlir::RankedTensorType>(value.getType()).getShape();
  return {shape.begin(), shape.end()};
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

class Lowering {
public:
  absl::StatusOr<Program> Run(mlir::func::FuncOp func);

private:
  absl::Status Lower(mlir::Operation *op);
  Buffer Of(mlir::Value v) { return buffers_.lookup(v); }
  Buffer Define(mlir::Value value) {
    Buffer b{-1, planner_.Allocate(Elements(value)), Elements(value)};
    buffers_[value] = b;
    return b;
  }
  Buffer Scratch(int64_t elements) {
    Buffer b{-1, planner_.Allocate(elements), elements};
    scratch_.push_back(b);
    return b;
  }
  absl::Status Alias(mlir::Value result, mlir::Value cache,
                     mlir::Operation *op) {
    auto arg = mlir::dyn_cast<mlir::BlockArgument>(cache);
    if (!arg || !cache.hasOneUse())
      return absl::UnimplementedError(fmt::format(
          "KV caches are updated in place: the cache of '{}' must be a "
          "function argument with no other reader",
          op->getName().getStringRef().str()));
    const Buffer storage = buffers_.lookup(cache);
    buffers_[result] = storage;
    return absl::OkStatus();
  }
  void Emit(Kernel kernel, std::vector<Buffer> buffers,
            std::vector<std::string> weights, std::vector<int64_t> ints,
            std::vector<double> reals = {}) {
    program_.calls.push_back({kernel, std::move(buffers), std::move(weights),
                              std::move(ints), std::move(reals)});
  }

  Program program_;
  llvm::DenseMap<mlir::Value, Buffer> buffers_;
  llvm::DenseMap<mlir::Value, int64_t> last_use_;
  // In 4-byte elements; 16 of them (64 bytes) alignment.
  ArenaPlanner planner_{16};
  std::vector<Buffer> scratch_;
};

absl::StatusOr<Program> Lowering::Run(mlir::func::FuncOp func) {
  program_.name = func.getName().str();
  mlir::Block &body = func.getBody().front();
  for (mlir::BlockArgument arg : body.getArguments()) {
    buffers_[arg] = Buffer{int32_t(arg.getArgNumber()), 0, Elements(arg)};
    program_.arg_elements.push_back(Elements(arg));
  }
  int64_t index = 0;
  for (mlir::Operation &op : body) {
    for (mlir::Value operand : op.getOperands())
      last_use_[operand] = index;
    ++index;
  }
  index = 0;
  for (mlir::Operation &op : body) {
    if (auto ret = mlir::dyn_cast<mlir::func::ReturnOp>(op)) {
      for (mlir::Value v : ret.getOperands())
        program_.outputs.push_back(buffers_.lookup(v));
      break;
    }
    if (absl::Status s = Lower(&op); !s.ok())
      return absl::Status(s.code(), fmt::format("@{}: {}", program_.name,
                                                std::string(s.message())));
    // Scratch, then operands read for the last time, are free again (the
    // results were placed before).
    for (const Buffer &b : scratch_)
      planner_.Release(b.offset, b.elements);
    scratch_.clear();
    for (mlir::Value operand : op.getOperands()) {
      auto it = buffers_.find(operand);
      if (it != buffers_.end() && it->second.arg < 0 &&
          last_use_[operand] == index) {
        planner_.Release(it->second.offset, it->second.elements);
        buffers_.erase(it);
      }
    }
    ++index;
  }
  program_.arena_elements = planner_.size();
  return std::move(program_);
}

absl::Status Lowering::Lower(mlir::Operation *op) {
  return llvm::TypeSwitch<mlir::Operation *, absl::Status>(op)
      .Case([&](ir::EmbedOp e) {
        const std::vector<int64_t> out = ShapeOf(e.getResult());
        Emit(Kernel::kEmbed, {Of(e.getIds()), Define(e.getResult())},
             {Name(e.getTableAttr())}, {out[0], out[1]},
             {e.getScale().convertToDouble()});
        return absl::OkStatus();
      })
      .Case([&](ir::RmsNormOp n) {
        const int64_t width = ShapeOf(n.getInput()).back();
        Emit(
            Kernel::kRmsNorm, {Of(n.getInput()), Define(n.getResult())},
            {Name(n.getWeightAttr())},
            {Elements(n.getInput()) / width, width, KindOf(n.getWeightScale())},
            {n.getEpsilon().convertToDouble()});
        return absl::OkStatus();
      })
      .Case([&](ir::MatmulOp m) {
        const std::vector<int64_t> in = ShapeOf(m.getInput());
        const int64_t n = in[0], out = Elements(m.getResult()) / n;
        if (m.getHeads()) {
          Emit(Kernel::kMatmulHeads, {Of(m.getInput()), Define(m.getResult())},
               {Name(m.getWeightAttr())}, {n, in[1], in[2], out});
          return absl::OkStatus();
        }
        std::vector<int64_t> ints = {n, Elements(m.getInput()) / n, out};
        AppendRanges(ints, m.getWeightRows());
        Emit(Kernel::kMatmul, {Of(m.getInput()), Define(m.getResult())},
             {Name(m.getWeightAttr())}, ints);
        return absl::OkStatus();
      })
      .Case([&](ir::ScaleOp s) {
        Emit(Kernel::kScale, {Of(s.getInput()), Define(s.getResult())},
             {Name(s.getWeightAttr())}, {Elements(s.getInput())},
             {s.getFactor() ? s.getFactor()->convertToDouble() : 0.0});
        return absl::OkStatus();
      })
      .Case([&](ir::RopeOp r) {
        const std::vector<int64_t> s = ShapeOf(r.getInput());
        Emit(Kernel::kRope,
             {Of(r.getInput()), Of(r.getPositions()), Define(r.getResult())},
             {}, {s[0], s[1], s[2]},
             {r.getBase().convertToDouble(), r.getScale().convertToDouble(),
              r.getFraction().convertToDouble()});
        return absl::OkStatus();
      })
      .Case([&](ir::KvWriteOp w) -> absl::Status {
        if (absl::Status s = Alias(w.getResult(), w.getCache(), op); !s.ok())
          return s;
        const std::vector<int64_t> c = ShapeOf(w.getCache());
        Emit(Kernel::kKvWrite,
             {Of(w.getInput()), Of(w.getPositions()), Of(w.getCache())}, {},
             {c[0], c[1], c[2] * c[3], ShapeOf(w.getInput())[0]});
        return absl::OkStatus();
      })
      .Case([&](ir::AttnScoresOp a) {
        const std::vector<int64_t> q = ShapeOf(a.getQuery()),
                                   k = ShapeOf(a.getKeys());
        Emit(Kernel::kAttnScores,
             {Of(a.getQuery()), Of(a.getKeys()), Define(a.getResult())}, {},
             {q[0], q[1], q[2], k[0], k[1], k[2], k[3]},
             {a.getScale().convertToDouble()});
        return absl::OkStatus();
      })
      .Case([&](ir::WindowMaskOp m) {
        const std::vector<int64_t> s = ShapeOf(m.getScores());
        Emit(Kernel::kWindowMask,
             {Of(m.getScores()), Of(m.getPositions()), Define(m.getResult())},
             {},
             {s[0], s[1], s[2], m.getWindow() ? int64_t(*m.getWindow()) : 0});
        return absl::OkStatus();
      })
      .Case([&](ir::SoftmaxOp s) {
        const int64_t width = ShapeOf(s.getInput()).back();
        Emit(Kernel::kSoftmax, {Of(s.getInput()), Define(s.getResult())}, {},
             {Elements(s.getInput()) / width, width});
        return absl::OkStatus();
      })
      .Case([&](ir::AttnValuesOp a) {
        const std::vector<int64_t> p = ShapeOf(a.getProbs()),
                                   v = ShapeOf(a.getValues());
        Emit(Kernel::kAttnValues,
             {Of(a.getProbs()), Of(a.getValues()), Define(a.getResult())}, {},
             {p[0], p[1], v[3], v[0], v[1], v[2], v[3]});
        return absl::OkStatus();
      })
      .Case([&](ir::SoftcapOp c) {
        Emit(Kernel::kSoftcap, {Of(c.getInput()), Define(c.getResult())}, {},
             {Elements(c.getInput())}, {c.getCap().convertToDouble()});
        return absl::OkStatus();
      })
      .Case([&](ir::GeluTanhOp g) {
        Emit(Kernel::kGeluTanh, {Of(g.getInput()), Define(g.getResult())}, {},
             {Elements(g.getInput())});
        return absl::OkStatus();
      })
      .Case([&](ir::AddOp a) {
        Emit(Kernel::kAdd,
             {Of(a.getLhs()), Of(a.getRhs()), Define(a.getResult())}, {},
             {Elements(a.getLhs())});
        return absl::OkStatus();
      })
      .Case([&](ir::MulOp m) {
        Emit(Kernel::kMul,
             {Of(m.getLhs()), Of(m.getRhs()), Define(m.getResult())}, {},
             {Elements(m.getLhs())});
        return absl::OkStatus();
      })
      .Case([&](ir::LogitsOp l) {
        const std::vector<int64_t> in = ShapeOf(l.getInput());
        Emit(Kernel::kLogits, {Of(l.getInput()), Define(l.getResult())},
             {Name(l.getTableAttr())},
             {in[0], in[1], ShapeOf(l.getResult())[1]}, {0.0});
        return absl::OkStatus();
      })
      .Case([&](ir::FusedLogitsOp l) {
        const std::vector<int64_t> in = ShapeOf(l.getInput());
        Emit(Kernel::kLogits, {Of(l.getInput()), Define(l.getResult())},
             {Name(l.getTableAttr())},
             {in[0], in[1], ShapeOf(l.getResult())[1]},
             {l.getCap() ? l.getCap()->convertToDouble() : 0.0});
        return absl::OkStatus();
      })
      .Case([&](ir::FusedAttentionOp a) {
        const std::vector<int64_t> q = ShapeOf(a.getQuery()),
                                   k = ShapeOf(a.getKeys()),
                                   v = ShapeOf(a.getValues());
        Emit(Kernel::kAttention,
             {Of(a.getQuery()), Of(a.getKeys()), Of(a.getValues()),
              Of(a.getPositions()), Define(a.getResult())},
             {},
             {q[0], q[1], q[2], k[0], k[1], k[2], v[3],
              a.getWindow() ? int64_t(*a.getWindow()) : 0},
             {a.getScale().convertToDouble(),
              a.getCap() ? a.getCap()->convertToDouble() : 0.0});
        return absl::OkStatus();
      })
      .Case([&](ir::FusedGegluOp g) {
        const int64_t n = ShapeOf(g.getInput())[0];
        Buffer out = Define(g.getResult());
        std::vector<int64_t> ints = {n, Elements(g.getInput()) / n,
                                     Elements(g.getResult()) / n};
        AppendRanges(ints, g.getGateRows());
        AppendRanges(ints, g.getUpRows());
        Emit(Kernel::kGeglu, {Of(g.getInput()), out, Scratch(out.elements)},
             {Name(g.getGateWeightAttr()), Name(g.getUpWeightAttr())}, ints);
        return absl::OkStatus();
      })
      .Case([&](ir::FusedResidualNormOp r) {
        const int64_t width = ShapeOf(r.getLhs()).back();
        Buffer sum = Define(r.getSum()), normed = Define(r.getNormed());
        Emit(Kernel::kResidualNorm,
             {Of(r.getLhs()), Of(r.getRhs()), sum, normed},
             {Name(r.getWeightAttr())},
             {Elements(r.getLhs()) / width, width, KindOf(r.getWeightScale())},
             {r.getEpsilon().convertToDouble()});
        return absl::OkStatus();
      })
      .Case([&](ir::FusedNormMatmulOp m) {
        const std::vector<int64_t> in = ShapeOf(m.getInput());
        const int64_t n = in[0];
        Buffer out = Define(m.getResult());
        std::vector<int64_t> ints = {n, Elements(m.getInput()) / n,
                                     out.elements / n, in.back(),
                                     KindOf(m.getNormScale())};
        AppendRanges(ints, m.getWeightRows());
        Emit(Kernel::kNormMatmul,
             {Of(m.getInput()), out, Scratch(Elements(m.getInput()))},
             {Name(m.getNormWeightAttr()), Name(m.getWeightAttr())}, ints,
             {m.getEpsilon().convertToDouble()});
        return absl::OkStatus();
      })
      .Case([&](ir::FusedQkvRopeOp q) -> absl::Status {
        if (absl::Status s = Alias(q.getKeys(), q.getKCache(), op); !s.ok())
          return s;
        if (absl::Status s = Alias(q.getValues(), q.getVCache(), op); !s.ok())
          return s;
        const std::vector<int64_t> in = ShapeOf(q.getInput()),
                                   qs = ShapeOf(q.getQuery()),
                                   kc = ShapeOf(q.getKCache()),
                                   vc = ShapeOf(q.getVCache());
        const int64_t n = in[0];
        Buffer out = Define(q.getQuery());
        Buffer k = Scratch(n * kc[2] * kc[3]), v = Scratch(n * vc[2] * vc[3]);
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
        Emit(Kernel::kQkvRope,
             {Of(q.getInput()), Of(q.getPositions()), Of(q.getKCache()),
              Of(q.getVCache()), out, k, v},
             {Name(q.getQWeightAttr()), Name(q.getKWeightAttr()),
              Name(q.getVWeightAttr()), Name(q.getQueryNormAttr()),
              Name(q.getKeyNormAttr())},
             ints,
             {q.getEpsilon().convertToDouble(), q.getBase().convertToDouble(),
              q.getScale().convertToDouble(),
              q.getFraction().convertToDouble()});
        return absl::OkStatus();
      })
      .Default([&](mlir::Operation *other) {
        return absl::UnimplementedError(fmt::format(
            "no kernel runs '{}'", other->getName().getStringRef().str()));
      });
}

} // namespace

absl::StatusOr<Program> LowerToPlan(mlir::func::FuncOp func) {
  return Lowering().Run(func);
}

} // namespace gemma::plan
