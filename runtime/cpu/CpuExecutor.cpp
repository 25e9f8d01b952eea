//===- CpuExecutor.cpp - Plan programs on the CPU kernels -----------------===//

#include "runtime/cpu/CpuExecutor.h"

#include "runtime/Backend.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>

namespace gemma::cpu {
namespace {

using plan::Buffer;
using plan::Call;
using plan::Kernel;
using Frame = CpuExecutor::Frame;
using Step = CpuExecutor::Step;

float *F(Frame &frame, const Buffer &b) {
  return b.arg >= 0 ? static_cast<float *>((*frame.args)[b.arg])
                    : frame.arena + b.offset;
}

const int32_t *I(Frame &frame, const Buffer &b) {
  return static_cast<const int32_t *>((*frame.args)[b.arg]);
}

// Row ranges from ints[at]: a count, then pairs. Advances `at`.
std::vector<RowRange> ReadRanges(const std::vector<int64_t> &ints, size_t &at) {
  std::vector<RowRange> ranges;
  const int64_t count = ints[at++];
  for (int64_t i = 0; i < count; ++i, at += 2)
    ranges.push_back({ints[at], ints[at + 1]});
  return ranges;
}

// Binds one call: resolves and checks its weights, returns its step.
class Binder {
public:
  Binder(const Call &call, const CpuExecutor::WeightLookup &lookup)
      : i(call.ints), r(call.reals), call_(call), lookup_(lookup) {}

  absl::StatusOr<Step> Bind();

private:
  // One per kernel family, each reading the call's layout
  // (runtime/plan/PlanProgram.cpp).
  absl::StatusOr<Step> BindEmbed();
  absl::StatusOr<Step> BindNorm();
  absl::StatusOr<Step> BindMatmul();
  absl::StatusOr<Step> BindMatmulHeads();
  absl::StatusOr<Step> BindScale();
  absl::StatusOr<Step> BindRope();
  absl::StatusOr<Step> BindKvWrite();
  absl::StatusOr<Step> BindAttention();
  absl::StatusOr<Step> BindWindowMask();
  absl::StatusOr<Step> BindSoftmax();
  absl::StatusOr<Step> BindUnary();
  absl::StatusOr<Step> BindAddMul();
  absl::StatusOr<Step> BindLogits();
  absl::StatusOr<Step> BindGeglu();
  absl::StatusOr<Step> BindMoeExperts();
  absl::StatusOr<Step> BindNormMatmul();
  absl::StatusOr<Step> BindQkvRope();

  absl::StatusOr<std::optional<WeightView>> Optional(size_t index) {
    if (call_.weights[index].empty())
      return std::optional<WeightView>();
    absl::StatusOr<WeightView> w = lookup_(call_.weights[index]);
    if (!w.ok())
      return w.status();
    return std::optional<WeightView>(*w);
  }
  absl::StatusOr<WeightView> Required(size_t index) {
    absl::StatusOr<std::optional<WeightView>> w = Optional(index);
    if (!w.ok())
      return w.status();
    if (!*w)
      return absl::InvalidArgumentError("a required weight is missing");
    return **w;
  }
  absl::Status Expect(bool ok, const std::string &what) {
    return ok ? absl::OkStatus()
              : absl::InvalidArgumentError(fmt::format(
                    "weight '{}' does not fit: {}",
                    call_.weights.empty() ? "" : call_.weights[0], what));
  }
  // A projection: `in` columns; `out` rows, or the ranges' rows, which
  // must give `out` outputs.
  absl::Status CheckMatrix(const WeightView &w,
                           const std::vector<RowRange> &ranges, int64_t in,
                           int64_t out) {
    int64_t end = ranges.empty() ? out : 0, selected = 0;
    for (const RowRange &r : ranges) {
      end = std::max(end, r.end);
      selected += r.end - r.begin;
    }
    if (!ranges.empty() && selected != out)
      return absl::InvalidArgumentError(fmt::format(
          "row ranges select {} rows for {} outputs", selected, out));
    return Expect(w.cols == in && end <= w.rows,
                  fmt::format("{} x {}, the call reads {} columns and rows "
                              "up to {}",
                              w.rows, w.cols, in, end));
  }
  absl::Status CheckNorm(const std::optional<WeightView> &w, int64_t width) {
    return Expect(!w || w->cols == width,
                  fmt::format("a norm of width {}", width));
  }

  // The call's ints and reals: the Bind functions read them as the layout
  // comments of runtime/plan/PlanProgram.cpp number them. (Steps copy
  // what they keep: a Binder lives only while one call is bound.)
  const std::vector<int64_t> &i;
  const std::vector<double> &r;
  const Call &call_;
  const CpuExecutor::WeightLookup &lookup_;
};

absl::StatusOr<Step> Binder::Bind() {
  switch (call_.kernel) {
  case Kernel::kEmbed:
    return BindEmbed();
  case Kernel::kRmsNorm:
  case Kernel::kResidualNorm:
    return BindNorm();
  case Kernel::kMatmul:
    return BindMatmul();
  case Kernel::kMatmulHeads:
    return BindMatmulHeads();
  case Kernel::kScale:
    return BindScale();
  case Kernel::kRope:
    return BindRope();
  case Kernel::kKvWrite:
    return BindKvWrite();
  case Kernel::kAttnScores:
  case Kernel::kAttnValues:
  case Kernel::kAttention:
    return BindAttention();
  case Kernel::kWindowMask:
    return BindWindowMask();
  case Kernel::kSoftmax:
    return BindSoftmax();
  case Kernel::kUnary:
    return BindUnary();
  case Kernel::kAdd:
  case Kernel::kMul:
    return BindAddMul();
  case Kernel::kLogits:
    return BindLogits();
  case Kernel::kGeglu:
    return BindGeglu();
  case Kernel::kMoeExperts:
    return BindMoeExperts();
  case Kernel::kNormMatmul:
    return BindNormMatmul();
  case Kernel::kQkvRope:
    return BindQkvRope();
  }
  return absl::InvalidArgumentError("unknown kernel");
}

absl::StatusOr<Step> Binder::BindEmbed() {
  const std::vector<Buffer> b = call_.buffers;
  absl::StatusOr<WeightView> table = Required(0);
  if (!table.ok())
    return table.status();
  const int64_t first = i.size() > 2 ? i[2] : 0;
  if (absl::Status s = Expect(i.size() > 2 ? first + i[1] <= table->cols
                                           : table->cols == i[1],
                              "the embedding width");
      !s.ok())
    return s;
  const int64_t n = i[0], width = i[1];
  const float scale = float(r[0]);
  return Step([=, t = *table](Frame &f, ThreadPool &) -> absl::Status {
    const int32_t *ids = I(f, b[0]);
    for (int64_t k = 0; k < n; ++k)
      if (ids[k] < 0 || ids[k] >= t.rows)
        return absl::OutOfRangeError(fmt::format(
            "token id {} is outside the vocabulary of {}", ids[k], t.rows));
    Embed(ids, n, t, scale, F(f, b[1]), first, width);
    return absl::OkStatus();
  });
}

absl::StatusOr<Step> Binder::BindNorm() {
  absl::StatusOr<std::optional<WeightView>> w = Optional(0);
  if (absl::Status s = w.ok() ? CheckNorm(*w, i[1]) : w.status(); !s.ok())
    return s;
  const std::vector<Buffer> b = call_.buffers;
  const int64_t rows = i[0], width = i[1];
  const NormKind kind = NormKind(i[2]);
  const float eps = float(r[0]);
  if (call_.kernel == Kernel::kRmsNorm)
    return Step([=, w = *w](Frame &f, ThreadPool &) {
      RmsNorm(F(f, b[0]), rows, width, w ? &*w : nullptr, kind, eps,
              F(f, b[1]));
      return absl::OkStatus();
    });
  return Step([=, w = *w](Frame &f, ThreadPool &) {
    Add(F(f, b[0]), F(f, b[1]), rows * width, F(f, b[2]));
    RmsNorm(F(f, b[2]), rows, width, w ? &*w : nullptr, kind, eps, F(f, b[3]));
    return absl::OkStatus();
  });
}

absl::StatusOr<Step> Binder::BindMatmul() {
  const std::vector<Buffer> b = call_.buffers;
  absl::StatusOr<WeightView> w = Required(0);
  if (!w.ok())
    return w.status();
  size_t at = 3;
  std::vector<RowRange> ranges = ReadRanges(i, at);
  if (absl::Status s = CheckMatrix(*w, ranges, i[1], i[2]); !s.ok())
    return s;
  const int64_t n = i[0], in = i[1], out = i[2];
  return Step([=, w = *w](Frame &f, ThreadPool &pool) {
    Matmul(pool, F(f, b[0]), n, in, w, ranges, out, F(f, b[1]));
    return absl::OkStatus();
  });
}

absl::StatusOr<Step> Binder::BindMatmulHeads() {
  const int64_t n = i[0], heads = i[1], in_h = i[2], out = i[3];
  absl::StatusOr<WeightView> w = Required(0);
  if (!w.ok())
    return w.status();
  const std::vector<Buffer> b = call_.buffers;
  if (absl::Status s = Expect(w->cols == in_h && w->rows == heads * out,
                              "a head-major [heads * out, in] matrix");
      !s.ok())
    return s;
  return Step([=, w = *w](Frame &f, ThreadPool &pool) {
    MatmulHeads(pool, F(f, b[0]), n, heads, in_h, w, out, F(f, b[1]));
    return absl::OkStatus();
  });
}

absl::StatusOr<Step> Binder::BindScale() {
  const std::vector<Buffer> b = call_.buffers;
  absl::StatusOr<std::optional<WeightView>> w = Optional(0);
  if (!w.ok())
    return w.status();
  float factor = float(r[0]);
  if (*w) {
    if (absl::Status s = Expect((*w)->rows * (*w)->cols == 1, "a scalar");
        !s.ok())
      return s;
    (*w)->DecodeRow(0, &factor);
  }
  const int64_t n = i[0];
  return Step([=](Frame &f, ThreadPool &) {
    Scale(F(f, b[0]), n, factor, F(f, b[1]));
    return absl::OkStatus();
  });
}

absl::StatusOr<Step> Binder::BindRope() {
  const std::vector<Buffer> b = call_.buffers;
  const int64_t n = i[0], heads = i[1], dim = i[2];
  const double base = r[0], scale = r[1], fraction = r[2];
  return Step([=](Frame &f, ThreadPool &) {
    float *y = F(f, b[2]);
    std::memmove(y, F(f, b[0]), size_t(n * heads * dim) * sizeof(float));
    Rope(y, n, heads, dim, I(f, b[1]), base, scale, fraction);
    return absl::OkStatus();
  });
}

absl::StatusOr<Step> Binder::BindKvWrite() {
  const std::vector<Buffer> b = call_.buffers;
  const int64_t batch = i[0], slots = i[1], width = i[2], n = i[3];
  return Step([=](Frame &f, ThreadPool &) {
    KvWrite(F(f, b[2]), batch, slots, width, F(f, b[0]), n, I(f, b[1]));
    return absl::OkStatus();
  });
}

absl::StatusOr<Step> Binder::BindAttention() {
  const std::vector<Buffer> b = call_.buffers;
  const AttentionShape shape{i[0], i[1], i[2], i[3], i[4], i[5], i[6]};
  if (call_.kernel == Kernel::kAttnScores) {
    const float scale = float(r[0]);
    return Step([=](Frame &f, ThreadPool &pool) {
      AttnScores(pool, shape, F(f, b[0]), F(f, b[1]), scale, F(f, b[2]));
      return absl::OkStatus();
    });
  }
  if (call_.kernel == Kernel::kAttnValues)
    return Step([=](Frame &f, ThreadPool &pool) {
      AttnValues(pool, shape, F(f, b[0]), F(f, b[1]), F(f, b[2]));
      return absl::OkStatus();
    });
  const int64_t window = i[7];
  const float scale = float(r[0]), cap = float(r[1]);
  return Step([=](Frame &f, ThreadPool &pool) {
    Attention(pool, shape, F(f, b[0]), F(f, b[1]), F(f, b[2]), I(f, b[3]),
              scale, cap, window, F(f, b[4]));
    return absl::OkStatus();
  });
}

absl::StatusOr<Step> Binder::BindWindowMask() {
  const std::vector<Buffer> b = call_.buffers;
  const int64_t rows = i[0], heads = i[1], slots = i[2], window = i[3];
  return Step([=](Frame &f, ThreadPool &) {
    float *y = F(f, b[2]);
    std::memmove(y, F(f, b[0]), size_t(rows * heads * slots) * sizeof(float));
    WindowMask(y, rows, heads, slots, I(f, b[1]), window);
    return absl::OkStatus();
  });
}

absl::StatusOr<Step> Binder::BindSoftmax() {
  const std::vector<Buffer> b = call_.buffers;
  const int64_t rows = i[0], width = i[1];
  return Step([=](Frame &f, ThreadPool &) {
    Softmax(F(f, b[0]), rows, width, F(f, b[1]));
    return absl::OkStatus();
  });
}

absl::StatusOr<Step> Binder::BindUnary() {
  const std::vector<Buffer> b = call_.buffers;
  const int64_t n = i[0];
  const UnaryFn fn = UnaryFn(i[1]);
  const float parameter = float(r[0]);
  return Step([=](Frame &f, ThreadPool &) {
    Unary(fn, F(f, b[0]), n, parameter, F(f, b[1]));
    return absl::OkStatus();
  });
}

absl::StatusOr<Step> Binder::BindAddMul() {
  const std::vector<Buffer> b = call_.buffers;
  const int64_t n = i[0];
  const bool add = call_.kernel == Kernel::kAdd;
  return Step([=](Frame &f, ThreadPool &) {
    (add ? Add : Mul)(F(f, b[0]), F(f, b[1]), n, F(f, b[2]));
    return absl::OkStatus();
  });
}

absl::StatusOr<Step> Binder::BindLogits() {
  const std::vector<Buffer> b = call_.buffers;
  absl::StatusOr<WeightView> table = Required(0);
  if (!table.ok())
    return table.status();
  const int64_t n = i[0], width = i[1], vocab = i[2];
  if (absl::Status s = Expect(table->cols == width && vocab <= table->rows,
                              "the embedding table of the logits");
      !s.ok())
    return s;
  const float cap = float(r[0]);
  return Step([=, t = *table](Frame &f, ThreadPool &pool) {
    Logits(pool, F(f, b[0]), n, width, t, vocab, cap, F(f, b[1]));
    return absl::OkStatus();
  });
}

absl::StatusOr<Step> Binder::BindGeglu() {
  const std::vector<Buffer> b = call_.buffers;
  absl::StatusOr<WeightView> gate = Required(0), up = Required(1);
  if (!gate.ok())
    return gate.status();
  if (!up.ok())
    return up.status();
  size_t at = 3;
  std::vector<RowRange> gate_rows = ReadRanges(i, at),
                        up_rows = ReadRanges(i, at);
  const int64_t n = i[0], in = i[1], width = i[2];
  if (absl::Status s = CheckMatrix(*gate, gate_rows, in, width); !s.ok())
    return s;
  if (absl::Status s = CheckMatrix(*up, up_rows, in, width); !s.ok())
    return s;
  return Step([=, gw = *gate, uw = *up](Frame &f, ThreadPool &pool) {
    Geglu(pool, F(f, b[0]), n, in, gw, gate_rows, uw, up_rows, width,
          F(f, b[1]), F(f, b[2]));
    return absl::OkStatus();
  });
}

absl::StatusOr<Step> Binder::BindMoeExperts() {
  const std::vector<Buffer> b = call_.buffers;
  absl::StatusOr<WeightView> scale = Required(0), gate_up = Required(1),
                             down = Required(2);
  for (const auto *w : {&scale, &gate_up, &down})
    if (!w->ok())
      return w->status();
  const int64_t n = i[0], d = i[1], experts = i[2], ff = i[3], top_k = i[4];
  if (absl::Status s =
          Expect(scale->rows * scale->cols == experts &&
                     gate_up->rows == 2 * experts * ff && gate_up->cols == d &&
                     down->rows == experts * d && down->cols == ff,
                 "the expert weights' shapes");
      !s.ok())
    return s;
  return Step([=, sw = *scale, gw = *gate_up,
               dw = *down](Frame &f, ThreadPool &pool) -> absl::Status {
    MoeExperts(pool, F(f, b[0]), F(f, b[1]), n, d, experts, ff, top_k, sw, gw,
               dw, F(f, b[2]));
    return absl::OkStatus();
  });
}

absl::StatusOr<Step> Binder::BindNormMatmul() {
  const std::vector<Buffer> b = call_.buffers;
  absl::StatusOr<std::optional<WeightView>> norm = Optional(0);
  absl::StatusOr<WeightView> w = Required(1);
  if (!norm.ok())
    return norm.status();
  if (!w.ok())
    return w.status();
  size_t at = 5;
  std::vector<RowRange> ranges = ReadRanges(i, at);
  const int64_t n = i[0], in = i[1], out = i[2], width = i[3];
  const NormKind kind = NormKind(i[4]);
  if (absl::Status s = CheckNorm(*norm, width); !s.ok())
    return s;
  if (absl::Status s = CheckMatrix(*w, ranges, in, out); !s.ok())
    return s;
  const float eps = float(r[0]);
  return Step([=, nw = *norm, w = *w](Frame &f, ThreadPool &pool) {
    RmsNorm(F(f, b[0]), n * in / width, width, nw ? &*nw : nullptr, kind, eps,
            F(f, b[2]));
    Matmul(pool, F(f, b[2]), n, in, w, ranges, out, F(f, b[1]));
    return absl::OkStatus();
  });
}

absl::StatusOr<Step> Binder::BindQkvRope() {
  const std::vector<Buffer> b = call_.buffers;
  absl::StatusOr<WeightView> wq = Required(0), wk = Required(1);
  absl::StatusOr<std::optional<WeightView>> wv = Optional(2), qn = Optional(3),
                                            kn = Optional(4);
  for (const absl::Status &s :
       {wq.status(), wk.status(), wv.status(), qn.status(), kn.status()})
    if (!s.ok())
      return s;
  const int64_t n = i[0], d = i[1], heads = i[2], dim = i[3];
  const int64_t kb = i[4], ks = i[5], kh = i[6];
  const int64_t vb = i[7], vs = i[8], vh = i[9], vd = i[10];
  const NormKind kind = NormKind(i[11]);
  const bool value_norm = i[12] != 0;
  size_t at = 13;
  std::vector<RowRange> q_rows = ReadRanges(i, at), k_rows = ReadRanges(i, at),
                        v_rows = ReadRanges(i, at);
  if (absl::Status s = CheckMatrix(*wq, q_rows, d, heads * dim); !s.ok())
    return s;
  if (absl::Status s = CheckMatrix(*wk, k_rows, d, kh * dim); !s.ok())
    return s;
  // (K=V and the QK-norm weights checked by plan::ValidateCall.)
  if (*wv)
    if (absl::Status s = CheckMatrix(**wv, v_rows, d, vh * vd); !s.ok())
      return s;
  if (absl::Status s = CheckNorm(*qn, dim); !s.ok())
    return s;
  if (absl::Status s = CheckNorm(*kn, dim); !s.ok())
    return s;
  const float eps = float(r[0]);
  const double base = r[1], scale = r[2], fraction = r[3];
  return Step([=, wq = *wq, wk = *wk, wv = *wv, qn = *qn,
               kn = *kn](Frame &f, ThreadPool &pool) {
    float *qo = F(f, b[4]), *ko = F(f, b[5]), *vo = F(f, b[6]);
    const float *x = F(f, b[0]);
    const int32_t *p = I(f, b[1]);
    MatmulJob jobs[3] = {{x, n, d, wq, q_rows, heads * dim, qo},
                         {x, n, d, wk, k_rows, kh * dim, ko}};
    size_t count = 2;
    if (wv)
      jobs[count++] = {x, n, d, *wv, v_rows, vh * vd, vo};
    Matmuls(pool, std::span(jobs, count));
    if (!wv)
      std::memcpy(vo, ko, size_t(n * kh * dim) * sizeof(float));
    if (qn) {
      RmsNorm(qo, n * heads, dim, &*qn, kind, eps, qo);
      RmsNorm(ko, n * kh, dim, &*kn, kind, eps, ko);
    }
    if (value_norm)
      RmsNorm(vo, n * vh, vd, nullptr, NormKind::kNone, eps, vo);
    Rope(qo, n, heads, dim, p, base, scale, fraction);
    Rope(ko, n, kh, dim, p, base, scale, fraction);
    KvWrite(F(f, b[2]), kb, ks, kh * dim, ko, n, p);
    KvWrite(F(f, b[3]), vb, vs, vh * vd, vo, n, p);
    return absl::OkStatus();
  });
}

} // namespace

absl::StatusOr<std::unique_ptr<CpuExecutor>>
CpuExecutor::Create(const plan::Program &program, const WeightLookup &weights) {
  if (absl::Status s = plan::ValidateProgram(program); !s.ok())
    return s;
  std::unique_ptr<CpuExecutor> executor(new CpuExecutor());
  for (size_t c = 0; c < program.calls.size(); ++c) {
    absl::StatusOr<Step> step = Binder(program.calls[c], weights).Bind();
    if (!step.ok())
      return absl::Status(step.status().code(),
                          fmt::format("{}: call {} ({}): {}", program.name, c,
                                      plan::KernelName(program.calls[c].kernel),
                                      std::string(step.status().message())));
    executor->steps_.push_back(*std::move(step));
    const plan::Call &call = program.calls[c];
    executor->kernels_.push_back(call.kernel);
    executor->weight_bytes_.push_back(
        CallWeightBytes(call, [&](const std::string &name) {
          absl::StatusOr<WeightView> w = weights(name);
          return w.ok() ? std::optional<WeightView>(*w) : std::nullopt;
        }));
  }
  executor->arena_.assign(size_t(program.arena_elements), 0.0f);
  executor->outputs_ = program.outputs;
  return executor;
}

absl::Status CpuExecutor::Run(ThreadPool &pool, const std::vector<void *> &args,
                              std::vector<std::vector<float>> *results,
                              Profile *profile) {
  Frame frame{arena_.data(), &args};
  for (size_t i = 0; i < steps_.size(); ++i) {
    const auto start = profile ? std::chrono::steady_clock::now()
                               : std::chrono::steady_clock::time_point();
    if (absl::Status s = steps_[i](frame, pool); !s.ok())
      return s;
    if (profile) {
      const size_t k = static_cast<size_t>(kernels_[i]);
      ++profile->calls[k];
      profile->seconds[k] += std::chrono::duration<double>(
                                 std::chrono::steady_clock::now() - start)
                                 .count();
      profile->weight_bytes[k] += weight_bytes_[i];
    }
  }
  if (results) {
    results->clear();
    for (const plan::Buffer &output : outputs_) {
      if (output.arg >= 0)
        continue;
      const float *data = arena_.data() + output.offset;
      results->emplace_back(data, data + output.elements);
    }
  }
  return absl::OkStatus();
}

} // namespace gemma::cpu
