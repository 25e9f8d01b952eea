//===- PlanProgram.cpp - A bucket function as kernel calls ----------------===//

#include "runtime/plan/PlanProgram.h"
#include "kernels/common/ElementwiseFunctions.h"
#include "runtime/plan/KernelParams.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <string_view>

namespace gemma::plan {

void detail::ParamReader::Ranges(std::vector<RowRange> &ranges) {
  ranges.clear();
  int64_t count = 0;
  Int(count);
  if (!ok || count < 0 || uint64_t(count) > (ints.size() - i) / 2) {
    ok = false;
    return;
  }
  for (int64_t k = 0; k < count; ++k, i += 2) {
    const RowRange range{ints[i], ints[i + 1]};
    if (range.begin < 0 || range.end <= range.begin) {
      ok = false;
      return;
    }
    ranges.push_back(range);
  }
}

namespace {

int64_t Product(std::initializer_list<int64_t> dims) {
  int64_t p = 1;
  for (int64_t d : dims) {
    if (d < 0 || (d > 0 && p > (int64_t(1) << 40) / d))
      return -1;
    p *= d;
  }
  return p;
}

// Whether row ranges give `out` rows (no ranges: rows 0..out).
bool Selects(const std::vector<RowRange> &ranges, int64_t out) {
  if (ranges.empty())
    return true;
  int64_t rows = 0;
  for (const RowRange &r : ranges)
    rows += r.end - r.begin;
  return rows == out;
}

using V = std::vector<int64_t>;

// The elements each buffer of a call needs, in buffer order; empty when
// the parameters contradict each other.
V Needs(const EmbedParams &p) { return {p.n, Product({p.n, p.width})}; }
V Needs(const RmsNormParams &p) {
  const int64_t n = Product({p.rows, p.width});
  return {n, n};
}
V Needs(const MatmulParams &p) {
  if (!Selects(p.rows, p.out))
    return {};
  return {Product({p.n, p.in}), Product({p.n, p.out})};
}
V Needs(const MatmulHeadsParams &p) {
  return {Product({p.n, p.heads, p.in_h}), Product({p.n, p.out})};
}
V Needs(const RopeParams &p) {
  const int64_t n = Product({p.n, p.heads, p.dim});
  return {n, p.n, n};
}
V Needs(const KvWriteParams &p) {
  if (p.batch != 1 && p.batch != p.n)
    return {};
  return {Product({p.n, p.width}), p.n, Product({p.batch, p.slots, p.width})};
}
// Query, keys, values, positions and output of an attention geometry.
template <class P> V AttentionNeeds(const P &p) {
  return {Product({p.rows, p.heads, p.dim}),
          Product({p.batch, p.slots, p.kv_heads, p.dim}),
          Product({p.batch, p.slots, p.kv_heads, p.value_dim}), p.rows,
          Product({p.rows, p.heads, p.value_dim})};
}
V Needs(const AttnScoresParams &p) {
  const V a = AttentionNeeds(p);
  return {a[0], a[1], Product({p.rows, p.heads, p.slots})};
}
V Needs(const WindowMaskParams &p) {
  const int64_t n = Product({p.rows, p.heads, p.slots});
  return {n, p.rows, n};
}
V Needs(const SoftmaxParams &p) {
  const int64_t n = Product({p.rows, p.width});
  return {n, n};
}
V Needs(const AttnValuesParams &p) {
  const V a = AttentionNeeds(p);
  return {Product({p.rows, p.heads, p.slots}), a[2], a[4]};
}
V Needs(const UnaryParams &p) { return {p.elements, p.elements}; }
V Needs(const BinaryParams &p) { return {p.elements, p.elements, p.elements}; }
V Needs(const LogitsParams &p) {
  return {Product({p.n, p.width}), Product({p.n, p.vocab})};
}
V Needs(const AttentionParams &p) { return AttentionNeeds(p); }
V Needs(const GegluParams &p) {
  if (!Selects(p.gate_rows, p.width) || !Selects(p.up_rows, p.width))
    return {};
  const int64_t out = Product({p.n, p.width});
  return {Product({p.n, p.in}), out, out};
}
V Needs(const ResidualNormParams &p) {
  const int64_t n = Product({p.rows, p.width});
  return {n, n, n, n};
}
V Needs(const NormMatmulParams &p) {
  if (!Selects(p.rows, p.out) || p.width <= 0 || p.in % p.width != 0)
    return {};
  const int64_t x = Product({p.n, p.in});
  return {x, Product({p.n, p.out}), x};
}
V Needs(const QkvRopeParams &p) {
  if ((p.k_batch != 1 && p.k_batch != p.n) ||
      (p.v_batch != 1 && p.v_batch != p.n))
    return {};
  return {Product({p.n, p.d}),
          p.n,
          Product({p.k_batch, p.k_slots, p.kv_heads, p.dim}),
          Product({p.v_batch, p.v_slots, p.v_heads, p.v_dim}),
          Product({p.n, p.heads, p.dim}),
          Product({p.n, p.kv_heads, p.dim}),
          Product({p.n, p.v_heads, p.v_dim})};
}
V Needs(const MoeExpertsParams &p) {
  if (p.top_k < 1 || p.top_k > p.experts)
    return {};
  const int64_t x = Product({p.n, p.d});
  return {x, Product({p.n, p.experts}), x};
}

// What the shapes cannot say, checked once here for every backend: which
// weights a call names, the unary function, the attention geometry.
template <class P> absl::Status Check(const P &, const Call &) {
  return absl::OkStatus();
}
bool Named(const Call &call, size_t k) { return !call.weights[k].empty(); }
absl::Status CheckWeightedNorm(int64_t kind, bool named) {
  return kind != 0 && !named
             ? absl::InvalidArgumentError("a weighted norm without a weight")
             : absl::OkStatus();
}
// `function` names a row of the table `Name` looks codes up in.
absl::Status CheckFunction(int64_t function, const char *(*name)(int),
                           const char *table) {
  if (function < 0 || function > INT32_MAX || name(int(function)) == nullptr)
    return absl::InvalidArgumentError(
        fmt::format("unknown {} function {}", table, function));
  return absl::OkStatus();
}
absl::Status Check(const UnaryParams &p, const Call &) {
  return CheckFunction(p.function, UnaryFnName, "unary");
}
absl::Status Check(const BinaryParams &p, const Call &) {
  return CheckFunction(p.function, BinaryFnName, "binary");
}
absl::Status Check(const RmsNormParams &p, const Call &call) {
  return CheckWeightedNorm(p.kind, Named(call, 0));
}
absl::Status Check(const ResidualNormParams &p, const Call &call) {
  return CheckWeightedNorm(p.kind, Named(call, 0));
}
absl::Status Check(const NormMatmulParams &p, const Call &call) {
  return CheckWeightedNorm(p.kind, Named(call, 0));
}
template <class P> absl::Status CheckGroups(const P &p) {
  if (p.kv_heads <= 0 || p.heads % p.kv_heads != 0 || p.slots <= 0)
    return absl::InvalidArgumentError(
        "an attention geometry without whole query groups");
  return absl::OkStatus();
}
absl::Status Check(const AttnScoresParams &p, const Call &) {
  return CheckGroups(p);
}
absl::Status Check(const AttnValuesParams &p, const Call &) {
  return CheckGroups(p);
}
absl::Status Check(const AttentionParams &p, const Call &) {
  return CheckGroups(p);
}
absl::Status Check(const QkvRopeParams &p, const Call &call) {
  // K=V: no value weight, the values are the keys.
  if (!Named(call, 2) && p.v_heads * p.v_dim != p.kv_heads * p.dim)
    return absl::InvalidArgumentError("K=V with values wider than keys");
  const bool q_norm = Named(call, 3), k_norm = Named(call, 4);
  if ((q_norm || k_norm || p.kind != 0) && !(q_norm && k_norm))
    return absl::InvalidArgumentError("a QK-norm without both weights");
  return absl::OkStatus();
}

template <class P>
absl::Status ValidateAs(const Call &call, std::span<const int64_t> available) {
  if (call.buffers.size() != P::kBuffers ||
      call.weights.size() != P::kWeights || call.ints.size() < P::kMinInts ||
      call.reals.size() != P::kReals)
    return absl::InvalidArgumentError(fmt::format(
        "expects {} buffers, {} weights, {}+ ints and {} reals, got {}, "
        "{}, {} and {}",
        P::kBuffers, P::kWeights, P::kMinInts, P::kReals, call.buffers.size(),
        call.weights.size(), call.ints.size(), call.reals.size()));
  for (int64_t v : call.ints)
    if (v < -1)
      return absl::InvalidArgumentError(
          fmt::format("negative parameter {}", v));
  for (size_t k = 0; k < P::kWeights; ++k)
    if (P::kRequiredWeight[k] && !Named(call, k))
      return absl::InvalidArgumentError(
          fmt::format("weight {} is required", k));
  absl::StatusOr<P> p = DecodeParams<P>(call);
  if (!p.ok())
    return p.status();
  if (absl::Status s = Check(*p, call); !s.ok())
    return s;
  const V needs = Needs(*p);
  if (needs.size() != P::kBuffers)
    return absl::InvalidArgumentError("inconsistent shape parameters");
  for (size_t b = 0; b < needs.size() && b < available.size(); ++b)
    if (needs[b] < 0 || needs[b] > available[b])
      return absl::InvalidArgumentError(
          fmt::format("buffer {} holds {} elements, the call needs {}", b,
                      available[b], needs[b]));
  return absl::OkStatus();
}

} // namespace

const char *KernelName(Kernel kernel) {
  switch (kernel) {
#define GEMMA_PLAN_KERNEL_NAME(value, Name, mnemonic)                          \
  case Kernel::k##Name:                                                        \
    return #mnemonic;
    GEMMA_PLAN_KERNELS(GEMMA_PLAN_KERNEL_NAME)
#undef GEMMA_PLAN_KERNEL_NAME
  }
  return "unknown";
}

bool IsIndexBuffer(Kernel kernel, size_t b) {
  switch (kernel) {
#define GEMMA_PLAN_INDEX_BUFFER(value, Name, mnemonic)                         \
  case Kernel::k##Name:                                                        \
    return b < Name##Params::kBuffers && Name##Params::kIndexBuffer[b];
    GEMMA_PLAN_KERNELS(GEMMA_PLAN_INDEX_BUFFER)
#undef GEMMA_PLAN_INDEX_BUFFER
  }
  return false;
}

absl::Status ValidateCall(const Call &call,
                          std::span<const int64_t> available) {
  switch (call.kernel) {
#define GEMMA_PLAN_VALIDATE(value, Name, mnemonic)                             \
  case Kernel::k##Name:                                                        \
    return ValidateAs<Name##Params>(call, available);
    GEMMA_PLAN_KERNELS(GEMMA_PLAN_VALIDATE)
#undef GEMMA_PLAN_VALIDATE
  }
  return absl::InvalidArgumentError(
      fmt::format("unknown kernel {}", static_cast<uint32_t>(call.kernel)));
}

absl::Status ValidateProgram(const Program &program) {
  for (size_t c = 0; c < program.calls.size(); ++c) {
    const Call &call = program.calls[c];
    auto fail = [&](std::string_view what) {
      return absl::InvalidArgumentError(
          fmt::format("{}: call {} ({}): {}", program.name, c,
                      KernelName(call.kernel), what));
    };
    std::vector<int64_t> available;
    for (size_t b = 0; b < call.buffers.size(); ++b) {
      const Buffer &buffer = call.buffers[b];
      // Token ids are the program's argument 0 and positions its argument
      // 1, the only i32 storage there is (the GPU kernels read them from
      // there whatever a call names); every other buffer is f32.
      const bool index = IsIndexBuffer(call.kernel, b);
      const int32_t index_arg = call.kernel == Kernel::kEmbed ? 0 : 1;
      if (index && buffer.arg != index_arg)
        return fail(fmt::format("buffer {} holds {}: it must be the "
                                "program's argument {}",
                                b, index_arg == 0 ? "token ids" : "positions",
                                index_arg));
      if (!index && (buffer.arg == 0 || buffer.arg == 1))
        return fail(fmt::format("buffer {} holds f32 values: argument {} "
                                "holds token {}",
                                b, buffer.arg,
                                buffer.arg == 0 ? "ids" : "positions"));
      if (buffer.arg >= 0) {
        if (size_t(buffer.arg) >= program.arg_elements.size())
          return fail(fmt::format("buffer {} names argument {} of {}", b,
                                  buffer.arg, program.arg_elements.size()));
        available.push_back(program.arg_elements[buffer.arg]);
      } else {
        if (buffer.offset < 0 || buffer.elements < 0 ||
            buffer.offset + buffer.elements > program.arena_elements)
          return fail(fmt::format(
              "buffer {} [{}, {}) leaves the arena of {}", b, buffer.offset,
              buffer.offset + buffer.elements, program.arena_elements));
        available.push_back(buffer.elements);
      }
    }
    if (absl::Status s = ValidateCall(call, available); !s.ok())
      return fail(std::string(s.message()));
  }
  for (const Buffer &output : program.outputs)
    if (output.arg >= 0
            ? size_t(output.arg) >= program.arg_elements.size()
            : output.offset + output.elements > program.arena_elements)
      return absl::InvalidArgumentError(
          fmt::format("{}: a result lies outside its storage", program.name));
  return absl::OkStatus();
}

} // namespace gemma::plan
