//===- CpuExecutor.cpp - Plan programs on the CPU kernels -----------------===//
//
// A program's calls go through the shared lowering
// (runtime/plan/LowerCalls.h), which checks each call and its weights and
// hands the CPU its primitives; CpuSink turns each primitive into a step.
// The CPU has every fused kernel (GeGLU, the QKV tail, attention) and no
// size limits, so the lowering runs those calls whole here.
//
//===----------------------------------------------------------------------===//

#include "runtime/cpu/CpuExecutor.h"

#include "runtime/Backend.h"
#include "runtime/plan/LowerCalls.h"

#include <fmt/format.h>

#include <chrono>
#include <cstring>
#include <map>
#include <optional>

namespace gemma::cpu {
namespace {

using plan::Buffer;
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

bool Overlap(const Buffer &a, const Buffer &b) {
  if (a.arg >= 0 || b.arg >= 0)
    return a.arg == b.arg;
  return a.offset < b.offset + b.elements && b.offset < a.offset + a.elements;
}

// The Sink of lower::LowerCall for the CPU: each primitive a step.
// Consecutive matmuls of the same activations within one call (a QKV
// call's three projections) become one step, so they share one packed copy
// of the activations and one pass of the threads; a call's steps stay its
// own, for the profile.
class CpuSink {
public:
  using Weight = WeightView;
  static constexpr lower::Caps kCaps{};

  explicit CpuSink(const CpuExecutor::WeightLookup &lookup) : lookup_(lookup) {}

  // A step, the kernel of the call it came from, and the calls (and their
  // weight bytes) that it starts, for the profile.
  struct Bound {
    Step step;
    plan::Kernel kernel;
    uint64_t weight_bytes = 0;
    int calls = 0;
  };
  std::vector<Bound> steps;

  // The next primitives belong to a call of `kernel` reading
  // `weight_bytes` (counted with its first step).
  void BeginCall(plan::Kernel kernel, uint64_t weight_bytes) {
    Flush(); // (a step belongs to the call of its first primitive)
    kernel_ = kernel;
    call_ = {weight_bytes, 1};
  }
  void Finish() { Flush(); }

  // The primitives (runtime/plan/LowerCalls.h).
  absl::StatusOr<const WeightView *> Find(const std::string &name) {
    auto it = weights_.find(name);
    if (it == weights_.end()) {
      absl::StatusOr<WeightView> w = lookup_(name);
      if (!w.ok())
        return w.status();
      it = weights_.emplace(name, *w).first;
    }
    return &it->second;
  }
  float Scalar(const WeightView &w) const {
    float value = 0.0f;
    w.DecodeRow(0, &value); // (scale applied)
    return value;
  }
  const char *backend() const { return "cpu"; }

  absl::Status Embed(const Buffer &ids, const Buffer &out, int64_t n,
                     int64_t width, int64_t first, float scale,
                     const WeightView &t) {
    return AddStep([=](Frame &f, ThreadPool &) -> absl::Status {
      const int32_t *id = I(f, ids);
      for (int64_t k = 0; k < n; ++k)
        if (id[k] < 0 || id[k] >= t.rows)
          return absl::OutOfRangeError(fmt::format(
              "token id {} is outside the vocabulary of {}", id[k], t.rows));
      cpu::Embed(id, n, t, scale, F(f, out), first, width);
      return absl::OkStatus();
    });
  }

  absl::Status Matmul(const Buffer &x, const Buffer &y,
                      const lower::MatmulShape &s, const WeightView &w) {
    if (s.heads > 0) {
      const int64_t n = s.n, heads = s.heads, in_h = s.in, out = s.out;
      return AddStep([=](Frame &f, ThreadPool &pool) {
        MatmulHeads(pool, F(f, x), n, heads, in_h, w, out, F(f, y));
        return absl::OkStatus();
      });
    }
    if (s.cap > 0) { // the capped logits (all rows: no ranges)
      const int64_t n = s.n, in = s.in, out = s.out;
      const float cap = s.cap;
      return AddStep([=](Frame &f, ThreadPool &pool) {
        Logits(pool, F(f, x), n, in, w, out, cap, F(f, y));
        return absl::OkStatus();
      });
    }
    // Joins the pending matmuls when it reads their activations and
    // writes nothing they touch.
    if (!pending_.empty()) {
      const Pending &first = pending_.front();
      bool joins = pending_.size() < kMaxJoined && first.x == x &&
                   first.n == s.n && first.in == s.in && !Overlap(y, x);
      for (const Pending &p : pending_)
        joins = joins && !Overlap(p.y, y);
      if (!joins)
        Flush();
    }
    pending_.push_back(
        {x, y, s.n, s.in, s.out, w, Rows(s.rows), TakeCall(), kernel_});
    return absl::OkStatus();
  }

  absl::Status Norm(const Buffer &x, const Buffer &y, int64_t rows,
                    int64_t width, int64_t kind_value, const WeightView *weight,
                    float eps, const Buffer *residual_buffer,
                    const Buffer *sum_buffer) {
    const NormKind kind = NormKind(kind_value);
    const std::optional<WeightView> w =
        weight ? std::optional<WeightView>(*weight) : std::nullopt;
    const std::optional<Buffer> residual =
        residual_buffer ? std::optional<Buffer>(*residual_buffer)
                        : std::nullopt;
    const Buffer sum = sum_buffer ? *sum_buffer : Buffer{};
    // A prefill's rows are shared among the threads; a decode step's few
    // rows stay on one.
    return AddStep([=](Frame &f, ThreadPool &pool) {
      const float *in = F(f, x);
      const float *add = residual ? F(f, *residual) : nullptr;
      float *total = residual ? F(f, sum) : nullptr, *out = F(f, y);
      pool.For(
          rows,
          [&](int64_t r0, int64_t r1) {
            const int64_t at = r0 * width;
            const float *normed = in + at;
            if (add) {
              cpu::Add(in + at, add + at, (r1 - r0) * width, total + at);
              normed = total + at;
            }
            RmsNorm(normed, r1 - r0, width, w ? &*w : nullptr, kind, eps,
                    out + at);
          },
          kRowsPerThread);
      return absl::OkStatus();
    });
  }

  absl::Status Elementwise(int64_t op, int64_t n, float factor, const Buffer &a,
                           const Buffer &b, const Buffer &out) {
    return AddStep([=](Frame &f, ThreadPool &) {
      const float *x = F(f, a), *y = F(f, b);
      float *z = F(f, out);
      if (op >= lower::kOpUnary) {
        Unary(UnaryFn(op - lower::kOpUnary), x, n, factor, z);
      } else if (op >= lower::kOpBinary) {
        Binary(BinaryFn(op - lower::kOpBinary), x, y, n, z);
      } else if (op == lower::kOpGeluMul) {
        // (The split GeGLU writes it over a, never over b; the CPU runs
        // GeGLU whole anyway.)
        GeluTanh(x, n, z);
        Mul(z, y, n, z);
      } else {
        std::memmove(z, x, size_t(n) * sizeof(float));
      }
      return absl::OkStatus();
    });
  }

  absl::Status Rope(const Buffer &x, const Buffer &positions, const Buffer &y,
                    int64_t n, int64_t heads, int64_t dim, double base,
                    double scale, double fraction) {
    return AddStep([=](Frame &f, ThreadPool &) {
      float *out = F(f, y);
      std::memmove(out, F(f, x), size_t(n * heads * dim) * sizeof(float));
      cpu::Rope(out, n, heads, dim, I(f, positions), base, scale, fraction);
      return absl::OkStatus();
    });
  }

  absl::Status KvWrite(const Buffer &cache, const Buffer &x,
                       const Buffer &positions, int64_t batch, int64_t slots,
                       int64_t width, int64_t n) {
    return AddStep([=](Frame &f, ThreadPool &) {
      cpu::KvWrite(F(f, cache), batch, slots, width, F(f, x), n,
                   I(f, positions));
      return absl::OkStatus();
    });
  }

  absl::Status AttnScores(const Buffer &q, const Buffer &keys,
                          const Buffer &scores, const std::array<int64_t, 6> &i,
                          float scale) {
    const AttentionShape shape{i[0], i[1], i[2], i[3], i[4], i[5], i[2]};
    return AddStep([=](Frame &f, ThreadPool &pool) {
      cpu::AttnScores(pool, shape, F(f, q), F(f, keys), scale, F(f, scores));
      return absl::OkStatus();
    });
  }

  absl::Status AttnValues(const Buffer &probs, const Buffer &values,
                          const Buffer &out, const std::array<int64_t, 7> &i) {
    const AttentionShape shape{i[0], i[1], i[2], i[3], i[4], i[5], i[6]};
    return AddStep([=](Frame &f, ThreadPool &pool) {
      cpu::AttnValues(pool, shape, F(f, probs), F(f, values), F(f, out));
      return absl::OkStatus();
    });
  }

  absl::Status Attention(const Buffer &q, const Buffer &keys,
                         const Buffer &values, const Buffer &positions,
                         const Buffer &out, const std::array<int64_t, 8> &i,
                         float scale, float cap) {
    const AttentionShape shape{i[0], i[1], i[2], i[3], i[4], i[5], i[6]};
    const int64_t window = i[7];
    return AddStep([=](Frame &f, ThreadPool &pool) {
      cpu::Attention(pool, shape, F(f, q), F(f, keys), F(f, values),
                     I(f, positions), scale, cap, window, F(f, out));
      return absl::OkStatus();
    });
  }

  absl::Status WindowMask(const Buffer &x, const Buffer &positions,
                          const Buffer &y, int64_t rows, int64_t heads,
                          int64_t slots, int64_t window) {
    return AddStep([=](Frame &f, ThreadPool &) {
      float *out = F(f, y);
      std::memmove(out, F(f, x), size_t(rows * heads * slots) * sizeof(float));
      cpu::WindowMask(out, rows, heads, slots, I(f, positions), window);
      return absl::OkStatus();
    });
  }

  absl::Status Softmax(const Buffer &x, const Buffer &y, int64_t rows,
                       int64_t width) {
    return AddStep([=](Frame &f, ThreadPool &) {
      cpu::Softmax(F(f, x), rows, width, F(f, y));
      return absl::OkStatus();
    });
  }

  absl::Status Moe(const Buffer &x, const Buffer &logits, const Buffer &y,
                   const lower::MoeShape &s, const WeightView &scale,
                   const WeightView &gate_up, const WeightView &down) {
    return AddStep([=](Frame &f, ThreadPool &pool) {
      MoeExperts(pool, F(f, x), F(f, logits), s.n, s.d, s.experts, s.ff, s.k,
                 scale, gate_up, down, F(f, y));
      return absl::OkStatus();
    });
  }

  absl::Status Geglu(const Buffer &x, const Buffer &y, const Buffer &scratch,
                     int64_t n, int64_t in, int64_t width,
                     const WeightView &gate,
                     const std::vector<plan::RowRange> &gate_ranges,
                     const WeightView &up,
                     const std::vector<plan::RowRange> &up_ranges) {
    const std::vector<RowRange> gate_rows = Rows(gate_ranges),
                                up_rows = Rows(up_ranges);
    return AddStep([=](Frame &f, ThreadPool &pool) {
      cpu::Geglu(pool, F(f, x), n, in, gate, gate_rows, up, up_rows, width,
                 F(f, y), F(f, scratch));
      return absl::OkStatus();
    });
  }

  absl::Status QkvPost(const Buffer &q_buffer, const Buffer &k_buffer,
                       const Buffer &v_buffer, const Buffer &k_cache_buffer,
                       const Buffer &v_cache_buffer, const Buffer &positions,
                       const lower::QkvPostShape &s, const WeightView *q_norm,
                       const WeightView *k_norm, float eps, double base,
                       double scale, double fraction) {
    const std::optional<WeightView> qn =
        q_norm ? std::optional<WeightView>(*q_norm) : std::nullopt;
    const std::optional<WeightView> kn =
        k_norm ? std::optional<WeightView>(*k_norm) : std::nullopt;
    return AddStep([=](Frame &f, ThreadPool &pool) {
      float *qo = F(f, q_buffer), *ko = F(f, k_buffer), *vo = F(f, v_buffer);
      float *k_cache = F(f, k_cache_buffer), *v_cache = F(f, v_cache_buffer);
      const int32_t *pos = I(f, positions);
      const int64_t q_width = s.heads * s.dim, k_width = s.kh * s.dim,
                    v_width = s.vh * s.vd;
      // Each token's norms, rotation and cache writes touch its rows only,
      // so a prefill's tokens are shared among the threads.
      pool.For(
          s.n,
          [&](int64_t r0, int64_t r1) {
            const int64_t rows = r1 - r0;
            float *q = qo + r0 * q_width, *k = ko + r0 * k_width,
                  *v = vo + r0 * v_width;
            if (s.kind >= 0) {
              const NormKind kind = NormKind(s.kind);
              RmsNorm(q, rows * s.heads, s.dim, qn ? &*qn : nullptr, kind, eps,
                      q);
              RmsNorm(k, rows * s.kh, s.dim, kn ? &*kn : nullptr, kind, eps, k);
            }
            if (s.value_norm != 0)
              RmsNorm(v, rows * s.vh, s.vd, nullptr, NormKind::kNone, eps, v);
            cpu::Rope(q, rows, s.heads, s.dim, pos + r0, base, scale, fraction);
            cpu::Rope(k, rows, s.kh, s.dim, pos + r0, base, scale, fraction);
            // (A batch of caches holds one sequence per row.)
            cpu::KvWrite(k_cache + (s.kb == 1 ? 0 : r0 * s.ks * k_width),
                         s.kb == 1 ? 1 : rows, s.ks, k_width, k, rows,
                         pos + r0);
            cpu::KvWrite(v_cache + (s.vb == 1 ? 0 : r0 * s.vs * v_width),
                         s.vb == 1 ? 1 : rows, s.vs, v_width, v, rows,
                         pos + r0);
          },
          kRowsPerThread);
      return absl::OkStatus();
    });
  }

private:
  // Matmuls joined into one step (Matmuls takes at most four).
  static constexpr size_t kMaxJoined = 3;
  struct CallShare {
    uint64_t bytes = 0;
    int calls = 0;
  };
  struct Pending {
    Buffer x, y;
    int64_t n, in, out;
    WeightView w;
    std::vector<RowRange> rows;
    CallShare call;
    plan::Kernel kernel;
  };

  // The current call's share of the profile, for its first step.
  CallShare TakeCall() { return std::exchange(call_, CallShare{}); }

  absl::Status AddStep(Step step) {
    Flush();
    const CallShare call = TakeCall();
    steps.push_back({std::move(step), kernel_, call.bytes, call.calls});
    return absl::OkStatus();
  }

  void Flush() {
    if (pending_.empty())
      return;
    std::vector<Pending> jobs = std::move(pending_);
    pending_.clear();
    uint64_t bytes = 0;
    int calls = 0;
    for (const Pending &p : jobs) {
      bytes += p.call.bytes;
      calls += p.call.calls;
    }
    const plan::Kernel kernel = jobs.front().kernel;
    steps.push_back({[jobs = std::move(jobs)](Frame &f, ThreadPool &pool) {
                       MatmulJob bound[kMaxJoined];
                       for (size_t j = 0; j < jobs.size(); ++j) {
                         const Pending &p = jobs[j];
                         bound[j] = {F(f, p.x), p.n,   p.in,     p.w,
                                     p.rows,    p.out, F(f, p.y)};
                       }
                       Matmuls(pool, std::span(bound, jobs.size()));
                       return absl::OkStatus();
                     },
                     kernel, bytes, calls});
  }

  const CpuExecutor::WeightLookup &lookup_;
  std::map<std::string, WeightView> weights_;
  std::vector<Pending> pending_;
  plan::Kernel kernel_ = plan::Kernel::kEmbed;
  CallShare call_;
};

} // namespace

absl::StatusOr<std::unique_ptr<CpuExecutor>>
CpuExecutor::Create(const plan::Program &program, const WeightLookup &weights) {
  if (absl::Status s = plan::ValidateProgram(program); !s.ok())
    return s;
  std::unique_ptr<CpuExecutor> executor(new CpuExecutor());
  CpuSink sink(weights);
  for (size_t c = 0; c < program.calls.size(); ++c) {
    const plan::Call &call = program.calls[c];
    sink.BeginCall(call.kernel,
                   CallWeightBytes(call, [&](const std::string &name) {
                     absl::StatusOr<const WeightView *> w = sink.Find(name);
                     return w.ok() ? *w : nullptr;
                   }));
    if (absl::Status s = lower::LowerCall(call, sink); !s.ok())
      return absl::Status(s.code(),
                          fmt::format("{}: call {} ({}): {}", program.name, c,
                                      plan::KernelName(call.kernel),
                                      std::string(s.message())));
  }
  sink.Finish();
  for (CpuSink::Bound &bound : sink.steps) {
    executor->steps_.push_back(std::move(bound.step));
    executor->kernels_.push_back(bound.kernel);
    executor->weight_bytes_.push_back(bound.weight_bytes);
    executor->calls_.push_back(bound.calls);
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
      profile->calls[k] += uint64_t(calls_[i]);
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
