//===- CpuExecutor.cpp - Plan programs on the CPU kernels -----------------===//

#include "runtime/cpu/CpuExecutor.h"

#include "runtime/Backend.h"
#include "runtime/plan/KernelParams.h"
#include "runtime/plan/WeightChecks.h"

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

// Rows per thread below which a row-wise kernel stays on one thread (a
// decode step's rows; a prefill's are shared).
constexpr int64_t kRowsPerThread = 16;

float *F(Frame &frame, const Buffer &b) {
  return b.arg >= 0 ? static_cast<float *>((*frame.args)[b.arg])
                    : frame.arena + b.offset;
}

const int32_t *I(Frame &frame, const Buffer &b) {
  return static_cast<const int32_t *>((*frame.args)[b.arg]);
}

std::vector<RowRange> Rows(const std::vector<plan::RowRange> &ranges) {
  std::vector<RowRange> rows;
  for (const plan::RowRange &r : ranges)
    rows.push_back({r.begin, r.end});
  return rows;
}

AttentionShape ShapeOf(const auto &p) {
  return {p.rows, p.heads, p.dim, p.batch, p.slots, p.kv_heads, p.value_dim};
}

// Binds one call: decodes its parameters (runtime/plan/KernelParams.h),
// resolves and checks its weights, returns its step. (Steps copy what
// they keep: a Binder lives only while one call is bound.)
class Binder {
public:
  Binder(const Call &call, const CpuExecutor::WeightLookup &lookup)
      : call_(call), b(call.buffers), lookup_(lookup) {}

  absl::StatusOr<Step> Bind();

private:
  template <class P> absl::StatusOr<Step> BindAs() {
    absl::StatusOr<P> p = plan::DecodeParams<P>(call_);
    if (!p.ok())
      return p.status();
    return Bind(*p);
  }
  absl::StatusOr<Step> Bind(const plan::EmbedParams &p);
  absl::StatusOr<Step> Bind(const plan::RmsNormParams &p);
  absl::StatusOr<Step> Bind(const plan::ResidualNormParams &p);
  absl::StatusOr<Step> Bind(const plan::MatmulParams &p);
  absl::StatusOr<Step> Bind(const plan::MatmulHeadsParams &p);
  absl::StatusOr<Step> Bind(const plan::RopeParams &p);
  absl::StatusOr<Step> Bind(const plan::KvWriteParams &p);
  absl::StatusOr<Step> Bind(const plan::AttnScoresParams &p);
  absl::StatusOr<Step> Bind(const plan::AttnValuesParams &p);
  absl::StatusOr<Step> Bind(const plan::AttentionParams &p);
  absl::StatusOr<Step> Bind(const plan::WindowMaskParams &p);
  absl::StatusOr<Step> Bind(const plan::SoftmaxParams &p);
  absl::StatusOr<Step> Bind(const plan::UnaryParams &p);
  absl::StatusOr<Step> Bind(const plan::BinaryParams &p);
  absl::StatusOr<Step> Bind(const plan::LogitsParams &p);
  absl::StatusOr<Step> Bind(const plan::GegluParams &p);
  absl::StatusOr<Step> Bind(const plan::MoeExpertsParams &p);
  absl::StatusOr<Step> Bind(const plan::NormMatmulParams &p);
  absl::StatusOr<Step> Bind(const plan::QkvRopeParams &p);

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
  const std::string &Name(size_t index) const { return call_.weights[index]; }
  absl::Status CheckNorm(const std::optional<WeightView> &w, size_t index,
                         int64_t width) const {
    return w ? plan::CheckNormWeight(Name(index), *w, width) : absl::OkStatus();
  }
  absl::StatusOr<Step> BindNorm(int64_t rows, int64_t width, int64_t kind,
                                double eps, bool residual);

  const Call &call_;
  const std::vector<Buffer> &b; // the call's buffers, in the kernel's order
  const CpuExecutor::WeightLookup &lookup_;
};

absl::StatusOr<Step> Binder::Bind() {
  switch (call_.kernel) {
#define GEMMA_CPU_BIND(value, Name, mnemonic)                                  \
  case Kernel::k##Name:                                                        \
    return BindAs<plan::Name##Params>();
    GEMMA_PLAN_KERNELS(GEMMA_CPU_BIND)
#undef GEMMA_CPU_BIND
  }
  return absl::InvalidArgumentError("unknown kernel");
}

absl::StatusOr<Step> Binder::Bind(const plan::EmbedParams &p) {
  absl::StatusOr<WeightView> table = Required(0);
  if (!table.ok())
    return table.status();
  // Without a first column the table is exactly `width` wide; with one, a
  // per-layer slice of a wider table.
  const bool slice = p.first_column >= 0;
  const int64_t first = slice ? p.first_column : 0;
  if (absl::Status s = plan::CheckEmbedTable(Name(0), *table, p); !s.ok())
    return s;
  const int64_t n = p.n, width = p.width;
  const float scale = float(p.scale);
  return Step([=, b = b, t = *table](Frame &f, ThreadPool &) -> absl::Status {
    const int32_t *ids = I(f, b[0]);
    for (int64_t k = 0; k < n; ++k)
      if (ids[k] < 0 || ids[k] >= t.rows)
        return absl::OutOfRangeError(fmt::format(
            "token id {} is outside the vocabulary of {}", ids[k], t.rows));
    Embed(ids, n, t, scale, F(f, b[1]), first, width);
    return absl::OkStatus();
  });
}

absl::StatusOr<Step> Binder::BindNorm(int64_t rows, int64_t width,
                                      int64_t kind_value, double eps_value,
                                      bool residual) {
  absl::StatusOr<std::optional<WeightView>> w = Optional(0);
  if (absl::Status s = w.ok() ? CheckNorm(*w, 0, width) : w.status(); !s.ok())
    return s;
  const NormKind kind = NormKind(kind_value);
  const float eps = float(eps_value);
  // A prefill's rows are shared among the threads; a decode step's few
  // rows stay on one.
  if (!residual)
    return Step([=, b = b, w = *w](Frame &f, ThreadPool &pool) {
      const float *x = F(f, b[0]);
      float *y = F(f, b[1]);
      pool.For(
          rows,
          [&](int64_t r0, int64_t r1) {
            RmsNorm(x + r0 * width, r1 - r0, width, w ? &*w : nullptr, kind,
                    eps, y + r0 * width);
          },
          kRowsPerThread);
      return absl::OkStatus();
    });
  return Step([=, b = b, w = *w](Frame &f, ThreadPool &pool) {
    const float *x = F(f, b[0]), *residual = F(f, b[1]);
    float *sum = F(f, b[2]), *y = F(f, b[3]);
    pool.For(
        rows,
        [&](int64_t r0, int64_t r1) {
          const int64_t at = r0 * width;
          Add(x + at, residual + at, (r1 - r0) * width, sum + at);
          RmsNorm(sum + at, r1 - r0, width, w ? &*w : nullptr, kind, eps,
                  y + at);
        },
        kRowsPerThread);
    return absl::OkStatus();
  });
}

absl::StatusOr<Step> Binder::Bind(const plan::RmsNormParams &p) {
  return BindNorm(p.rows, p.width, p.kind, p.eps, /*residual=*/false);
}

absl::StatusOr<Step> Binder::Bind(const plan::ResidualNormParams &p) {
  return BindNorm(p.rows, p.width, p.kind, p.eps, /*residual=*/true);
}

absl::StatusOr<Step> Binder::Bind(const plan::MatmulParams &p) {
  absl::StatusOr<WeightView> w = Required(0);
  if (!w.ok())
    return w.status();
  if (absl::Status s = plan::CheckProjection(Name(0), *w, p.rows, p.in, p.out);
      !s.ok())
    return s;
  const std::vector<RowRange> ranges = Rows(p.rows);
  const int64_t n = p.n, in = p.in, out = p.out;
  return Step([=, b = b, w = *w](Frame &f, ThreadPool &pool) {
    Matmul(pool, F(f, b[0]), n, in, w, ranges, out, F(f, b[1]));
    return absl::OkStatus();
  });
}

absl::StatusOr<Step> Binder::Bind(const plan::MatmulHeadsParams &p) {
  const int64_t n = p.n, heads = p.heads, in_h = p.in_h, out = p.out;
  absl::StatusOr<WeightView> w = Required(0);
  if (!w.ok())
    return w.status();
  if (absl::Status s = plan::CheckHeadMajor(Name(0), *w, p); !s.ok())
    return s;
  return Step([=, b = b, w = *w](Frame &f, ThreadPool &pool) {
    MatmulHeads(pool, F(f, b[0]), n, heads, in_h, w, out, F(f, b[1]));
    return absl::OkStatus();
  });
}

absl::StatusOr<Step> Binder::Bind(const plan::RopeParams &p) {
  const int64_t n = p.n, heads = p.heads, dim = p.dim;
  const double base = p.base, scale = p.scale, fraction = p.fraction;
  return Step([=, b = b](Frame &f, ThreadPool &) {
    float *y = F(f, b[2]);
    std::memmove(y, F(f, b[0]), size_t(n * heads * dim) * sizeof(float));
    Rope(y, n, heads, dim, I(f, b[1]), base, scale, fraction);
    return absl::OkStatus();
  });
}

absl::StatusOr<Step> Binder::Bind(const plan::KvWriteParams &p) {
  const int64_t batch = p.batch, slots = p.slots, width = p.width, n = p.n;
  return Step([=, b = b](Frame &f, ThreadPool &) {
    KvWrite(F(f, b[2]), batch, slots, width, F(f, b[0]), n, I(f, b[1]));
    return absl::OkStatus();
  });
}

absl::StatusOr<Step> Binder::Bind(const plan::AttnScoresParams &p) {
  const AttentionShape shape = ShapeOf(p);
  const float scale = float(p.scale);
  return Step([=, b = b](Frame &f, ThreadPool &pool) {
    AttnScores(pool, shape, F(f, b[0]), F(f, b[1]), scale, F(f, b[2]));
    return absl::OkStatus();
  });
}

absl::StatusOr<Step> Binder::Bind(const plan::AttnValuesParams &p) {
  const AttentionShape shape = ShapeOf(p);
  return Step([=, b = b](Frame &f, ThreadPool &pool) {
    AttnValues(pool, shape, F(f, b[0]), F(f, b[1]), F(f, b[2]));
    return absl::OkStatus();
  });
}

absl::StatusOr<Step> Binder::Bind(const plan::AttentionParams &p) {
  const AttentionShape shape = ShapeOf(p);
  const int64_t window = p.window;
  const float scale = float(p.scale), cap = float(p.cap);
  return Step([=, b = b](Frame &f, ThreadPool &pool) {
    Attention(pool, shape, F(f, b[0]), F(f, b[1]), F(f, b[2]), I(f, b[3]),
              scale, cap, window, F(f, b[4]));
    return absl::OkStatus();
  });
}

absl::StatusOr<Step> Binder::Bind(const plan::WindowMaskParams &p) {
  const int64_t rows = p.rows, heads = p.heads, slots = p.slots,
                window = p.window;
  return Step([=, b = b](Frame &f, ThreadPool &) {
    float *y = F(f, b[2]);
    std::memmove(y, F(f, b[0]), size_t(rows * heads * slots) * sizeof(float));
    WindowMask(y, rows, heads, slots, I(f, b[1]), window);
    return absl::OkStatus();
  });
}

absl::StatusOr<Step> Binder::Bind(const plan::SoftmaxParams &p) {
  const int64_t rows = p.rows, width = p.width;
  return Step([=, b = b](Frame &f, ThreadPool &) {
    Softmax(F(f, b[0]), rows, width, F(f, b[1]));
    return absl::OkStatus();
  });
}

absl::StatusOr<Step> Binder::Bind(const plan::UnaryParams &p) {
  absl::StatusOr<std::optional<WeightView>> w = Optional(0);
  if (!w.ok())
    return w.status();
  float parameter = float(p.parameter);
  if (*w) {
    if (absl::Status s = plan::CheckScalar(Name(0), **w); !s.ok())
      return s;
    (*w)->DecodeRow(0, &parameter);
  }
  const int64_t n = p.elements;
  const UnaryFn fn = UnaryFn(p.function);
  return Step([=, b = b](Frame &f, ThreadPool &) {
    Unary(fn, F(f, b[0]), n, parameter, F(f, b[1]));
    return absl::OkStatus();
  });
}

absl::StatusOr<Step> Binder::Bind(const plan::BinaryParams &p) {
  const int64_t n = p.elements;
  const BinaryFn fn = BinaryFn(p.function);
  return Step([=, b = b](Frame &f, ThreadPool &) {
    Binary(fn, F(f, b[0]), F(f, b[1]), n, F(f, b[2]));
    return absl::OkStatus();
  });
}

absl::StatusOr<Step> Binder::Bind(const plan::LogitsParams &p) {
  absl::StatusOr<WeightView> table = Required(0);
  if (!table.ok())
    return table.status();
  const int64_t n = p.n, width = p.width, vocab = p.vocab;
  if (absl::Status s = plan::CheckLogitsTable(Name(0), *table, p); !s.ok())
    return s;
  const float cap = float(p.cap);
  return Step([=, b = b, t = *table](Frame &f, ThreadPool &pool) {
    Logits(pool, F(f, b[0]), n, width, t, vocab, cap, F(f, b[1]));
    return absl::OkStatus();
  });
}

absl::StatusOr<Step> Binder::Bind(const plan::GegluParams &p) {
  absl::StatusOr<WeightView> gate = Required(0), up = Required(1);
  if (!gate.ok())
    return gate.status();
  if (!up.ok())
    return up.status();
  const int64_t n = p.n, in = p.in, width = p.width;
  if (absl::Status s =
          plan::CheckProjection(Name(0), *gate, p.gate_rows, in, width);
      !s.ok())
    return s;
  if (absl::Status s =
          plan::CheckProjection(Name(1), *up, p.up_rows, in, width);
      !s.ok())
    return s;
  const std::vector<RowRange> gate_rows = Rows(p.gate_rows),
                              up_rows = Rows(p.up_rows);
  return Step([=, b = b, gw = *gate, uw = *up](Frame &f, ThreadPool &pool) {
    Geglu(pool, F(f, b[0]), n, in, gw, gate_rows, uw, up_rows, width,
          F(f, b[1]), F(f, b[2]));
    return absl::OkStatus();
  });
}

absl::StatusOr<Step> Binder::Bind(const plan::MoeExpertsParams &p) {
  absl::StatusOr<WeightView> scale = Required(0), gate_up = Required(1),
                             down = Required(2);
  for (const auto *w : {&scale, &gate_up, &down})
    if (!w->ok())
      return w->status();
  const int64_t n = p.n, d = p.d, experts = p.experts, ff = p.ff,
                top_k = p.top_k;
  if (absl::Status s = plan::CheckExperts(Name(1), *scale, *gate_up, *down, p);
      !s.ok())
    return s;
  return Step([=, b = b, sw = *scale, gw = *gate_up,
               dw = *down](Frame &f, ThreadPool &pool) -> absl::Status {
    MoeExperts(pool, F(f, b[0]), F(f, b[1]), n, d, experts, ff, top_k, sw, gw,
               dw, F(f, b[2]));
    return absl::OkStatus();
  });
}

absl::StatusOr<Step> Binder::Bind(const plan::NormMatmulParams &p) {
  absl::StatusOr<std::optional<WeightView>> norm = Optional(0);
  absl::StatusOr<WeightView> w = Required(1);
  if (!norm.ok())
    return norm.status();
  if (!w.ok())
    return w.status();
  const int64_t n = p.n, in = p.in, out = p.out, width = p.width;
  const NormKind kind = NormKind(p.kind);
  if (absl::Status s = CheckNorm(*norm, 0, width); !s.ok())
    return s;
  if (absl::Status s = plan::CheckProjection(Name(1), *w, p.rows, in, out);
      !s.ok())
    return s;
  const std::vector<RowRange> ranges = Rows(p.rows);
  const float eps = float(p.eps);
  return Step([=, b = b, nw = *norm, w = *w](Frame &f, ThreadPool &pool) {
    RmsNorm(F(f, b[0]), n * in / width, width, nw ? &*nw : nullptr, kind, eps,
            F(f, b[2]));
    Matmul(pool, F(f, b[2]), n, in, w, ranges, out, F(f, b[1]));
    return absl::OkStatus();
  });
}

absl::StatusOr<Step> Binder::Bind(const plan::QkvRopeParams &p) {
  absl::StatusOr<WeightView> wq = Required(0), wk = Required(1);
  absl::StatusOr<std::optional<WeightView>> wv = Optional(2), qn = Optional(3),
                                            kn = Optional(4);
  for (const absl::Status &s :
       {wq.status(), wk.status(), wv.status(), qn.status(), kn.status()})
    if (!s.ok())
      return s;
  if (absl::Status s =
          plan::CheckProjection(Name(0), *wq, p.q_rows, p.d, p.heads * p.dim);
      !s.ok())
    return s;
  if (absl::Status s = plan::CheckProjection(Name(1), *wk, p.k_rows, p.d,
                                             p.kv_heads * p.dim);
      !s.ok())
    return s;
  // (K=V and the QK-norm weights checked by plan::ValidateCall.)
  if (*wv)
    if (absl::Status s = plan::CheckProjection(Name(2), **wv, p.v_rows, p.d,
                                               p.v_heads * p.v_dim);
        !s.ok())
      return s;
  if (absl::Status s = CheckNorm(*qn, 3, p.dim); !s.ok())
    return s;
  if (absl::Status s = CheckNorm(*kn, 4, p.dim); !s.ok())
    return s;
  const std::vector<RowRange> q_rows = Rows(p.q_rows), k_rows = Rows(p.k_rows),
                              v_rows = Rows(p.v_rows);
  const NormKind kind = NormKind(p.kind);
  const float eps = float(p.eps);
  return Step([=, b = b, wq = *wq, wk = *wk, wv = *wv, qn = *qn,
               kn = *kn](Frame &f, ThreadPool &pool) {
    const int64_t n = p.n, d = p.d, dim = p.dim, kh = p.kv_heads;
    float *qo = F(f, b[4]), *ko = F(f, b[5]), *vo = F(f, b[6]);
    const float *x = F(f, b[0]);
    const int32_t *pos = I(f, b[1]);
    MatmulJob jobs[3] = {{x, n, d, wq, q_rows, p.heads * dim, qo},
                         {x, n, d, wk, k_rows, kh * dim, ko}};
    size_t count = 2;
    if (wv)
      jobs[count++] = {x, n, d, *wv, v_rows, p.v_heads * p.v_dim, vo};
    Matmuls(pool, std::span(jobs, count));
    float *k_cache = F(f, b[2]), *v_cache = F(f, b[3]);
    const int64_t q_width = p.heads * dim, k_width = kh * dim,
                  v_width = p.v_heads * p.v_dim;
    // Then each token's norms, rotation and cache writes: its rows only,
    // so a prefill's tokens are shared among the threads.
    pool.For(
        n,
        [&](int64_t r0, int64_t r1) {
          const int64_t rows = r1 - r0;
          float *q = qo + r0 * q_width, *k = ko + r0 * k_width,
                *v = vo + r0 * v_width;
          if (!wv)
            std::memcpy(v, k, size_t(rows * k_width) * sizeof(float));
          if (qn) {
            RmsNorm(q, rows * p.heads, dim, &*qn, kind, eps, q);
            RmsNorm(k, rows * kh, dim, &*kn, kind, eps, k);
          }
          if (p.value_norm != 0)
            RmsNorm(v, rows * p.v_heads, p.v_dim, nullptr, NormKind::kNone, eps,
                    v);
          Rope(q, rows, p.heads, dim, pos + r0, p.base, p.scale, p.fraction);
          Rope(k, rows, kh, dim, pos + r0, p.base, p.scale, p.fraction);
          // (A batch of caches holds one sequence per row.)
          KvWrite(k_cache + (p.k_batch == 1 ? 0 : r0 * p.k_slots * k_width),
                  p.k_batch == 1 ? 1 : rows, p.k_slots, k_width, k, rows,
                  pos + r0);
          KvWrite(v_cache + (p.v_batch == 1 ? 0 : r0 * p.v_slots * v_width),
                  p.v_batch == 1 ? 1 : rows, p.v_slots, v_width, v, rows,
                  pos + r0);
        },
        kRowsPerThread);
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
