//===- CpuProgram.cpp - A gemma function compiled for the CPU -------------===//

#include "runtime/cpu/CpuProgram.h"

#include "compiler/plan/ArenaPlanner.h"
#include "dialects/gemma/GemmaOps.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace gemma::cpu {

struct CpuProgram::Frame {
  float *arena;
  const std::vector<void *> *args;
};

namespace {

// Where a value lives: a function argument or an arena range (in floats).
struct Slot {
  int arg = -1;
  int64_t offset = 0;
  int64_t elements = 0;
};

float *F(CpuProgram::Frame &frame, const Slot &slot);
const int32_t *I(CpuProgram::Frame &frame, const Slot &slot);

std::vector<int64_t> ShapeOf(mlir::Value value) {
  auto shape = mlir::cast<mlir::RankedTensorType>(value.getType()).getShape();
  return {shape.begin(), shape.end()};
}

int64_t Elements(mlir::Value value) {
  return mlir::cast<mlir::RankedTensorType>(value.getType()).getNumElements();
}

NormKind KindOf(std::optional<ir::NormScale> scale) {
  if (!scale)
    return NormKind::kNone;
  return *scale == ir::NormScale::PlusOne ? NormKind::kPlusOne
                                          : NormKind::kPlain;
}

std::vector<RowRange> Ranges(std::optional<llvm::ArrayRef<int64_t>> rows) {
  std::vector<RowRange> ranges;
  if (rows)
    for (size_t i = 0; i < rows->size(); i += 2)
      ranges.push_back({(*rows)[i], (*rows)[i + 1]});
  return ranges;
}

} // namespace

// Walks a function once: assigns storage by liveness and appends one step
// per op.
class ProgramBuilder {
public:
  ProgramBuilder(CpuProgram &program, const CpuProgram::WeightLookup &weights)
      : program_(program), weights_(weights) {}

  absl::Status Build(mlir::func::FuncOp func);

private:
  using Step = CpuProgram::Step;
  using Frame = CpuProgram::Frame;

  absl::Status Lower(mlir::Operation *op);
  absl::StatusOr<WeightView> Weight(mlir::FlatSymbolRefAttr symbol);
  absl::StatusOr<std::optional<WeightView>>
  OptionalWeight(mlir::FlatSymbolRefAttr symbol);

  // Arena storage for `value` (first fit in the free list).
  Slot Define(mlir::Value value);
  // A scratch range for the current op, released after it.
  Slot Scratch(int64_t elements);
  // Results that take an argument's storage (KV caches).
  absl::Status Alias(mlir::Value result, mlir::Value cache,
                     mlir::Operation *op);
  int64_t Allocate(int64_t elements);
  void Release(int64_t offset, int64_t elements);
  void Add(Step step) { program_.steps_.push_back(std::move(step)); }

  CpuProgram &program_;
  const CpuProgram::WeightLookup &weights_;
  llvm::DenseMap<mlir::Value, Slot> slots_;
  llvm::DenseMap<mlir::Value, int64_t> last_use_;
  // In floats; 16 floats (64 bytes) alignment for every buffer.
  ArenaPlanner planner_{16};
  std::vector<Slot> scratch_;
};

int64_t ProgramBuilder::Allocate(int64_t elements) {
  return planner_.Allocate(elements);
}

void ProgramBuilder::Release(int64_t offset, int64_t elements) {
  planner_.Release(offset, elements);
}

Slot ProgramBuilder::Define(mlir::Value value) {
  Slot slot{-1, Allocate(Elements(value)), Elements(value)};
  slots_[value] = slot;
  return slot;
}

Slot ProgramBuilder::Scratch(int64_t elements) {
  Slot slot{-1, Allocate(elements), elements};
  scratch_.push_back(slot);
  return slot;
}

absl::Status ProgramBuilder::Alias(mlir::Value result, mlir::Value cache,
                                   mlir::Operation *op) {
  auto arg = mlir::dyn_cast<mlir::BlockArgument>(cache);
  if (!arg || !cache.hasOneUse())
    return absl::UnimplementedError(fmt::format(
        "the CPU backend updates KV caches in place: the cache of '{}' must "
        "be a function argument with no other reader",
        op->getName().getStringRef().str()));
  // Copy first: inserting `result` may rehash the map.
  const Slot storage = slots_.lookup(cache);
  slots_[result] = storage;
  return absl::OkStatus();
}

absl::StatusOr<WeightView>
ProgramBuilder::Weight(mlir::FlatSymbolRefAttr symbol) {
  return weights_(symbol.getValue().str());
}

absl::StatusOr<std::optional<WeightView>>
ProgramBuilder::OptionalWeight(mlir::FlatSymbolRefAttr symbol) {
  if (!symbol)
    return std::optional<WeightView>();
  absl::StatusOr<WeightView> w = Weight(symbol);
  if (!w.ok())
    return w.status();
  return std::optional<WeightView>(*w);
}

absl::Status ProgramBuilder::Build(mlir::func::FuncOp func) {
  mlir::Block &body = func.getBody().front();
  for (mlir::BlockArgument arg : body.getArguments())
    slots_[arg] = Slot{int(arg.getArgNumber()), 0, Elements(arg)};
  int64_t index = 0;
  for (mlir::Operation &op : body) {
    for (mlir::Value operand : op.getOperands())
      last_use_[operand] = index;
    ++index;
  }
  index = 0;
  for (mlir::Operation &op : body) {
    if (auto ret = mlir::dyn_cast<mlir::func::ReturnOp>(op)) {
      for (mlir::Value v : ret.getOperands()) {
        const Slot slot = slots_.lookup(v);
        program_.outputs_.push_back({slot.arg, slot.offset, slot.elements});
      }
      break;
    }
    if (absl::Status s = Lower(&op); !s.ok())
      return s;
    // Scratch of this op, then operands read for the last time, go back to
    // the free list (results were placed before).
    for (const Slot &slot : scratch_)
      Release(slot.offset, slot.elements);
    scratch_.clear();
    for (mlir::Value operand : op.getOperands()) {
      auto it = slots_.find(operand);
      if (it != slots_.end() && it->second.arg < 0 &&
          last_use_[operand] == index) {
        Release(it->second.offset, it->second.elements);
        slots_.erase(it);
      }
    }
    ++index;
  }
  program_.arena_floats_ = planner_.size();
  program_.arena_.assign(size_t(planner_.size()), 0.0f);
  return absl::OkStatus();
}

absl::Status ProgramBuilder::Lower(mlir::Operation *op) {
  auto slot = [&](mlir::Value v) { return slots_.lookup(v); };
  return llvm::TypeSwitch<mlir::Operation *, absl::Status>(op)
      .Case([&](ir::EmbedOp e) -> absl::Status {
        absl::StatusOr<WeightView> table = Weight(e.getTableAttr());
        if (!table.ok())
          return table.status();
        Slot ids = slot(e.getIds()), out = Define(e.getResult());
        const int64_t n = ShapeOf(e.getIds())[0];
        const float scale = e.getScale().convertToFloat();
        Add([=, t = *table](Frame &f, ThreadPool &) -> absl::Status {
          const int32_t *id = I(f, ids);
          for (int64_t i = 0; i < n; ++i)
            if (id[i] < 0 || id[i] >= t.rows)
              return absl::OutOfRangeError(
                  fmt::format("token id {} is outside the vocabulary of {}",
                              id[i], t.rows));
          Embed(id, n, t, scale, F(f, out));
          return absl::OkStatus();
        });
        return absl::OkStatus();
      })
      .Case([&](ir::RmsNormOp n) -> absl::Status {
        absl::StatusOr<std::optional<WeightView>> w =
            OptionalWeight(n.getWeightAttr());
        if (!w.ok())
          return w.status();
        Slot x = slot(n.getInput()), out = Define(n.getResult());
        const int64_t width = ShapeOf(n.getInput()).back();
        const NormKind kind = KindOf(n.getWeightScale());
        const float eps = n.getEpsilon().convertToFloat();
        Add([=, w = *w](Frame &f, ThreadPool &) {
          RmsNorm(F(f, x), x.elements / width, width, w ? &*w : nullptr, kind,
                  eps, F(f, out));
          return absl::OkStatus();
        });
        return absl::OkStatus();
      })
      .Case([&](ir::MatmulOp m) -> absl::Status {
        absl::StatusOr<WeightView> w = Weight(m.getWeightAttr());
        if (!w.ok())
          return w.status();
        Slot x = slot(m.getInput()), out = Define(m.getResult());
        const std::vector<int64_t> in = ShapeOf(m.getInput());
        const int64_t n = in[0], out_width = out.elements / n;
        if (m.getHeads()) {
          const int64_t heads = in[1], in_h = in[2];
          Add([=, w = *w](Frame &f, ThreadPool &pool) {
            MatmulHeads(pool, F(f, x), n, heads, in_h, w, out_width, F(f, out));
            return absl::OkStatus();
          });
          return absl::OkStatus();
        }
        std::vector<RowRange> ranges = Ranges(m.getWeightRows());
        Add([=, w = *w](Frame &f, ThreadPool &pool) {
          Matmul(pool, F(f, x), n, x.elements / n, w, ranges, out_width,
                 F(f, out));
          return absl::OkStatus();
        });
        return absl::OkStatus();
      })
      .Case([&](ir::ScaleOp s) -> absl::Status {
        float factor = 0.0f;
        if (s.getWeightAttr()) {
          absl::StatusOr<WeightView> w = Weight(s.getWeightAttr());
          if (!w.ok())
            return w.status();
          w->DecodeRow(0, &factor);
        } else {
          factor = s.getFactor()->convertToFloat();
        }
        Slot x = slot(s.getInput()), out = Define(s.getResult());
        Add([=](Frame &f, ThreadPool &) {
          Scale(F(f, x), x.elements, factor, F(f, out));
          return absl::OkStatus();
        });
        return absl::OkStatus();
      })
      .Case([&](ir::RopeOp r) -> absl::Status {
        Slot x = slot(r.getInput()), pos = slot(r.getPositions()),
             out = Define(r.getResult());
        const std::vector<int64_t> shape = ShapeOf(r.getInput());
        const double base = r.getBase().convertToDouble(),
                     scale = r.getScale().convertToDouble(),
                     fraction = r.getFraction().convertToDouble();
        Add([=](Frame &f, ThreadPool &) {
          float *y = F(f, out);
          std::memcpy(y, F(f, x), size_t(x.elements) * sizeof(float));
          Rope(y, shape[0], shape[1], shape[2], I(f, pos), base, scale,
               fraction);
          return absl::OkStatus();
        });
        return absl::OkStatus();
      })
      .Case([&](ir::KvWriteOp w) -> absl::Status {
        if (absl::Status s = Alias(w.getResult(), w.getCache(), op); !s.ok())
          return s;
        Slot x = slot(w.getInput()), pos = slot(w.getPositions()),
             cache = slot(w.getCache());
        const std::vector<int64_t> c = ShapeOf(w.getCache());
        const int64_t n = ShapeOf(w.getInput())[0];
        Add([=](Frame &f, ThreadPool &) {
          KvWrite(F(f, cache), c[0], c[1], c[2] * c[3], F(f, x), n, I(f, pos));
          return absl::OkStatus();
        });
        return absl::OkStatus();
      })
      .Case([&](ir::AttnScoresOp a) -> absl::Status {
        const std::vector<int64_t> q = ShapeOf(a.getQuery()),
                                   k = ShapeOf(a.getKeys());
        const AttentionShape shape{q[0], q[1], q[2], k[0], k[1], k[2], k[3]};
        Slot qs = slot(a.getQuery()), ks = slot(a.getKeys()),
             out = Define(a.getResult());
        const float scale = a.getScale().convertToFloat();
        Add([=](Frame &f, ThreadPool &pool) {
          AttnScores(pool, shape, F(f, qs), F(f, ks), scale, F(f, out));
          return absl::OkStatus();
        });
        return absl::OkStatus();
      })
      .Case([&](ir::WindowMaskOp m) -> absl::Status {
        const std::vector<int64_t> s = ShapeOf(m.getScores());
        Slot in = slot(m.getScores()), pos = slot(m.getPositions()),
             out = Define(m.getResult());
        const int64_t window = m.getWindow() ? int64_t(*m.getWindow()) : 0;
        Add([=](Frame &f, ThreadPool &) {
          float *y = F(f, out);
          std::memcpy(y, F(f, in), size_t(in.elements) * sizeof(float));
          WindowMask(y, s[0], s[1], s[2], I(f, pos), window);
          return absl::OkStatus();
        });
        return absl::OkStatus();
      })
      .Case([&](ir::SoftmaxOp s) -> absl::Status {
        const int64_t width = ShapeOf(s.getInput()).back();
        Slot in = slot(s.getInput()), out = Define(s.getResult());
        Add([=](Frame &f, ThreadPool &) {
          Softmax(F(f, in), in.elements / width, width, F(f, out));
          return absl::OkStatus();
        });
        return absl::OkStatus();
      })
      .Case([&](ir::AttnValuesOp a) -> absl::Status {
        const std::vector<int64_t> p = ShapeOf(a.getProbs()),
                                   v = ShapeOf(a.getValues());
        const AttentionShape shape{p[0], p[1], 0, v[0], v[1], v[2], v[3]};
        Slot ps = slot(a.getProbs()), vs = slot(a.getValues()),
             out = Define(a.getResult());
        Add([=](Frame &f, ThreadPool &pool) {
          AttnValues(pool, shape, F(f, ps), F(f, vs), F(f, out));
          return absl::OkStatus();
        });
        return absl::OkStatus();
      })
      .Case([&](ir::SoftcapOp c) -> absl::Status {
        Slot in = slot(c.getInput()), out = Define(c.getResult());
        const float cap = c.getCap().convertToFloat();
        Add([=](Frame &f, ThreadPool &) {
          Softcap(F(f, in), in.elements, cap, F(f, out));
          return absl::OkStatus();
        });
        return absl::OkStatus();
      })
      .Case([&](ir::GeluTanhOp g) -> absl::Status {
        Slot in = slot(g.getInput()), out = Define(g.getResult());
        Add([=](Frame &f, ThreadPool &) {
          GeluTanh(F(f, in), in.elements, F(f, out));
          return absl::OkStatus();
        });
        return absl::OkStatus();
      })
      .Case([&](ir::AddOp a) -> absl::Status {
        Slot l = slot(a.getLhs()), r = slot(a.getRhs()),
             out = Define(a.getResult());
        Add([=](Frame &f, ThreadPool &) {
          gemma::cpu::Add(F(f, l), F(f, r), l.elements, F(f, out));
          return absl::OkStatus();
        });
        return absl::OkStatus();
      })
      .Case([&](ir::MulOp m) -> absl::Status {
        Slot l = slot(m.getLhs()), r = slot(m.getRhs()),
             out = Define(m.getResult());
        Add([=](Frame &f, ThreadPool &) {
          Mul(F(f, l), F(f, r), l.elements, F(f, out));
          return absl::OkStatus();
        });
        return absl::OkStatus();
      })
      .Case([&](ir::LogitsOp l) -> absl::Status {
        absl::StatusOr<WeightView> table = Weight(l.getTableAttr());
        if (!table.ok())
          return table.status();
        const std::vector<int64_t> in = ShapeOf(l.getInput());
        const int64_t vocab = ShapeOf(l.getResult())[1];
        Slot x = slot(l.getInput()), out = Define(l.getResult());
        Add([=, t = *table](Frame &f, ThreadPool &pool) {
          Logits(pool, F(f, x), in[0], in[1], t, vocab, 0.0f, F(f, out));
          return absl::OkStatus();
        });
        return absl::OkStatus();
      })
      .Case([&](ir::FusedLogitsOp l) -> absl::Status {
        absl::StatusOr<WeightView> table = Weight(l.getTableAttr());
        if (!table.ok())
          return table.status();
        const std::vector<int64_t> in = ShapeOf(l.getInput());
        const int64_t vocab = ShapeOf(l.getResult())[1];
        const float cap = l.getCap() ? l.getCap()->convertToFloat() : 0.0f;
        Slot x = slot(l.getInput()), out = Define(l.getResult());
        Add([=, t = *table](Frame &f, ThreadPool &pool) {
          Logits(pool, F(f, x), in[0], in[1], t, vocab, cap, F(f, out));
          return absl::OkStatus();
        });
        return absl::OkStatus();
      })
      .Case([&](ir::FusedAttentionOp a) -> absl::Status {
        const std::vector<int64_t> q = ShapeOf(a.getQuery()),
                                   k = ShapeOf(a.getKeys()),
                                   v = ShapeOf(a.getValues());
        const AttentionShape shape{q[0], q[1], q[2], k[0], k[1], k[2], v[3]};
        Slot qs = slot(a.getQuery()), ks = slot(a.getKeys()),
             vs = slot(a.getValues()), pos = slot(a.getPositions()),
             out = Define(a.getResult());
        const float scale = a.getScale().convertToFloat();
        const float cap = a.getCap() ? a.getCap()->convertToFloat() : 0.0f;
        const int64_t window = a.getWindow() ? int64_t(*a.getWindow()) : 0;
        Add([=](Frame &f, ThreadPool &pool) {
          Attention(pool, shape, F(f, qs), F(f, ks), F(f, vs), I(f, pos), scale,
                    cap, window, F(f, out));
          return absl::OkStatus();
        });
        return absl::OkStatus();
      })
      .Case([&](ir::FusedGegluOp g) -> absl::Status {
        absl::StatusOr<WeightView> gate = Weight(g.getGateWeightAttr());
        absl::StatusOr<WeightView> up = Weight(g.getUpWeightAttr());
        if (!gate.ok())
          return gate.status();
        if (!up.ok())
          return up.status();
        Slot x = slot(g.getInput()), out = Define(g.getResult());
        const int64_t n = ShapeOf(g.getInput())[0], in = x.elements / n,
                      width = out.elements / n;
        Slot tmp = Scratch(out.elements);
        std::vector<RowRange> gate_rows = Ranges(g.getGateRows()),
                              up_rows = Ranges(g.getUpRows());
        Add([=, gw = *gate, uw = *up](Frame &f, ThreadPool &pool) {
          float *y = F(f, out), *u = F(f, tmp);
          Matmul(pool, F(f, x), n, in, gw, gate_rows, width, y);
          Matmul(pool, F(f, x), n, in, uw, up_rows, width, u);
          GeluTanh(y, out.elements, y);
          Mul(y, u, out.elements, y);
          return absl::OkStatus();
        });
        return absl::OkStatus();
      })
      .Case([&](ir::FusedResidualNormOp r) -> absl::Status {
        absl::StatusOr<std::optional<WeightView>> w =
            OptionalWeight(r.getWeightAttr());
        if (!w.ok())
          return w.status();
        Slot a = slot(r.getLhs()), b = slot(r.getRhs()),
             sum = Define(r.getSum()), normed = Define(r.getNormed());
        const int64_t width = ShapeOf(r.getLhs()).back();
        const NormKind kind = KindOf(r.getWeightScale());
        const float eps = r.getEpsilon().convertToFloat();
        Add([=, w = *w](Frame &f, ThreadPool &) {
          gemma::cpu::Add(F(f, a), F(f, b), a.elements, F(f, sum));
          RmsNorm(F(f, sum), a.elements / width, width, w ? &*w : nullptr, kind,
                  eps, F(f, normed));
          return absl::OkStatus();
        });
        return absl::OkStatus();
      })
      .Case([&](ir::FusedNormMatmulOp m) -> absl::Status {
        absl::StatusOr<std::optional<WeightView>> nw =
            OptionalWeight(m.getNormWeightAttr());
        absl::StatusOr<WeightView> w = Weight(m.getWeightAttr());
        if (!nw.ok())
          return nw.status();
        if (!w.ok())
          return w.status();
        Slot x = slot(m.getInput()), out = Define(m.getResult());
        const std::vector<int64_t> in = ShapeOf(m.getInput());
        const int64_t n = in[0], width = in.back();
        Slot normed = Scratch(x.elements);
        const NormKind kind = KindOf(m.getNormScale());
        const float eps = m.getEpsilon().convertToFloat();
        std::vector<RowRange> ranges = Ranges(m.getWeightRows());
        Add([=, nw = *nw, w = *w](Frame &f, ThreadPool &pool) {
          RmsNorm(F(f, x), x.elements / width, width, nw ? &*nw : nullptr, kind,
                  eps, F(f, normed));
          Matmul(pool, F(f, normed), n, x.elements / n, w, ranges,
                 out.elements / n, F(f, out));
          return absl::OkStatus();
        });
        return absl::OkStatus();
      })
      .Case([&](ir::FusedQkvRopeOp q) -> absl::Status {
        absl::StatusOr<WeightView> wq = Weight(q.getQWeightAttr()),
                                   wk = Weight(q.getKWeightAttr());
        absl::StatusOr<std::optional<WeightView>> wv = OptionalWeight(
                                                      q.getVWeightAttr()),
                                                  qn = OptionalWeight(
                                                      q.getQueryNormAttr()),
                                                  kn = OptionalWeight(
                                                      q.getKeyNormAttr());
        for (const absl::Status &s :
             {wq.status(), wk.status(), wv.status(), qn.status(), kn.status()})
          if (!s.ok())
            return s;
        if (absl::Status s = Alias(q.getKeys(), q.getKCache(), op); !s.ok())
          return s;
        if (absl::Status s = Alias(q.getValues(), q.getVCache(), op); !s.ok())
          return s;
        const std::vector<int64_t> in = ShapeOf(q.getInput()),
                                   qs = ShapeOf(q.getQuery()),
                                   kc = ShapeOf(q.getKCache()),
                                   vc = ShapeOf(q.getVCache());
        const int64_t n = in[0], d = in[1];
        Slot x = slot(q.getInput()), pos = slot(q.getPositions()),
             kcache = slot(q.getKCache()), vcache = slot(q.getVCache()),
             out = Define(q.getQuery());
        Slot k = Scratch(n * kc[2] * kc[3]), v = Scratch(n * vc[2] * vc[3]);
        std::vector<RowRange> q_rows = Ranges(q.getQRows()),
                              k_rows = Ranges(q.getKRows()),
                              v_rows = Ranges(q.getVRows());
        const NormKind kind = KindOf(q.getQkScale());
        const bool value_norm = q.getValueNorm();
        const float eps = q.getEpsilon().convertToFloat();
        const double base = q.getBase().convertToDouble(),
                     scale = q.getScale().convertToDouble(),
                     fraction = q.getFraction().convertToDouble();
        Add([=, wq = *wq, wk = *wk, wv = *wv, qn = *qn,
             kn = *kn](Frame &f, ThreadPool &pool) {
          float *qo = F(f, out), *ko = F(f, k), *vo = F(f, v);
          const float *xi = F(f, x);
          const int32_t *p = I(f, pos);
          Matmul(pool, xi, n, d, wq, q_rows, qs[1] * qs[2], qo);
          Matmul(pool, xi, n, d, wk, k_rows, kc[2] * kc[3], ko);
          if (wv)
            Matmul(pool, xi, n, d, *wv, v_rows, vc[2] * vc[3], vo);
          else
            std::memcpy(vo, ko, size_t(n * kc[2] * kc[3]) * sizeof(float));
          if (qn) {
            RmsNorm(qo, n * qs[1], qs[2], &*qn, kind, eps, qo);
            RmsNorm(ko, n * kc[2], kc[3], &*kn, kind, eps, ko);
          }
          if (value_norm)
            RmsNorm(vo, n * vc[2], vc[3], nullptr, NormKind::kNone, eps, vo);
          Rope(qo, n, qs[1], qs[2], p, base, scale, fraction);
          Rope(ko, n, kc[2], kc[3], p, base, scale, fraction);
          KvWrite(F(f, kcache), kc[0], kc[1], kc[2] * kc[3], ko, n, p);
          KvWrite(F(f, vcache), vc[0], vc[1], vc[2] * vc[3], vo, n, p);
          return absl::OkStatus();
        });
        return absl::OkStatus();
      })
      .Default([&](mlir::Operation *other) {
        return absl::UnimplementedError(
            fmt::format("the CPU backend cannot run '{}'",
                        other->getName().getStringRef().str()));
      });
}

namespace {

float *F(CpuProgram::Frame &frame, const Slot &slot) {
  return slot.arg >= 0 ? static_cast<float *>((*frame.args)[slot.arg])
                       : frame.arena + slot.offset;
}

const int32_t *I(CpuProgram::Frame &frame, const Slot &slot) {
  return static_cast<const int32_t *>((*frame.args)[slot.arg]);
}

} // namespace

absl::StatusOr<std::unique_ptr<CpuProgram>>
CpuProgram::Compile(mlir::func::FuncOp func, const WeightLookup &weights) {
  std::unique_ptr<CpuProgram> program(new CpuProgram());
  ProgramBuilder builder(*program, weights);
  if (absl::Status s = builder.Build(func); !s.ok())
    return absl::Status(s.code(), fmt::format("@{}: {}", func.getName().str(),
                                              std::string(s.message())));
  return program;
}

absl::Status CpuProgram::Run(ThreadPool &pool, const std::vector<void *> &args,
                             std::vector<std::vector<float>> *results) {
  Frame frame{arena_.data(), &args};
  for (Step &step : steps_)
    if (absl::Status s = step(frame, pool); !s.ok())
      return s;
  if (results) {
    results->clear();
    for (const Output &output : outputs_) {
      if (output.arg >= 0)
        continue;
      const float *data = arena_.data() + output.offset;
      results->emplace_back(data, data + output.elements);
    }
  }
  return absl::OkStatus();
}

} // namespace gemma::cpu
