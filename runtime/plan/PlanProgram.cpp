//===- PlanProgram.cpp - A bucket function as kernel calls ----------------===//

#include "runtime/plan/PlanProgram.h"
#include "kernels/common/UnaryFunctions.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <functional>
#include <string_view>

namespace gemma::plan {
namespace {

// Row ranges inside `ints` from `at`: a count, then [begin, end] pairs.
// Returns the number of ints they take, or -1 when malformed; adds the
// rows they select to `*rows`.
int64_t RangesSize(const std::vector<int64_t> &ints, size_t at, int64_t *rows) {
  if (at >= ints.size() || ints[at] < 0)
    return -1;
  const int64_t count = ints[at];
  if (at + 1 + 2 * size_t(count) > ints.size())
    return -1;
  for (int64_t i = 0; i < count; ++i) {
    const int64_t begin = ints[at + 1 + 2 * i], end = ints[at + 2 + 2 * i];
    if (begin < 0 || end <= begin)
      return -1;
    *rows += end - begin;
  }
  return 1 + 2 * count;
}

struct Layout {
  size_t buffers, weights, ints, reals;
  // Bit b set: buffer b holds i32 (token ids or positions), not f32.
  uint32_t index_buffers;
  // Minimum elements of each buffer, from the ints; empty when the ints
  // are inconsistent.
  std::function<std::vector<int64_t>(const std::vector<int64_t> &)> needs;
};

int64_t Product(std::initializer_list<int64_t> dims) {
  int64_t p = 1;
  for (int64_t d : dims) {
    if (d < 0 || (d > 0 && p > (int64_t(1) << 40) / d))
      return -1;
    p *= d;
  }
  return p;
}

const Layout &LayoutOf(Kernel kernel) {
  using V = std::vector<int64_t>;
  // AttentionShape: rows, heads, dim, batch, slots, kv_heads, value_dim.
  static const auto attention = [](const V &i) {
    return V{Product({i[0], i[1], i[2]}), Product({i[3], i[4], i[5], i[2]}),
             Product({i[3], i[4], i[5], i[6]}), i[0],
             Product({i[0], i[1], i[6]})};
  };
  static const Layout layouts[] = {
      // kEmbed: [ids, out]; [table]; [n, width, first column?]; [scale]
      {2, 1, 2, 1, 1,
       [](const V &i) { return V{i[0], Product({i[0], i[1]})}; }},
      // kRmsNorm: [x, out]; [weight?]; [rows, width, kind]; [eps]
      {2, 1, 3, 1, 0,
       [](const V &i) {
         const int64_t n = Product({i[0], i[1]});
         return V{n, n};
       }},
      // kMatmul: [x, y]; [w]; [n, in, out, ranges...]
      {2, 1, 4, 0, 0,
       [](const V &i) {
         int64_t rows = 0;
         if (RangesSize(i, 3, &rows) < 0 || (i[3] > 0 && rows != i[2]))
           return V{};
         return V{Product({i[0], i[1]}), Product({i[0], i[2]})};
       }},
      // kMatmulHeads: [x, y]; [w]; [n, heads, in_h, out]
      {2, 1, 4, 0, 0,
       [](const V &i) {
         return V{Product({i[0], i[1], i[2]}), Product({i[0], i[3]})};
       }},
      // kScale: [x, out]; [weight?]; [elements]; [factor]
      {2, 1, 1, 1, 0, [](const V &i) { return V{i[0], i[0]}; }},
      // kRope: [x, positions, out]; []; [n, heads, dim]; [base, scale, frac]
      {3, 0, 3, 3, 2,
       [](const V &i) {
         const int64_t n = Product({i[0], i[1], i[2]});
         return V{n, i[0], n};
       }},
      // kKvWrite: [x, positions, cache]; []; [batch, slots, width, n]
      {3, 0, 4, 0, 2,
       [](const V &i) {
         if (i[0] != 1 && i[0] != i[3])
           return V{};
         return V{Product({i[3], i[2]}), i[3], Product({i[0], i[1], i[2]})};
       }},
      // kAttnScores: [q, keys, scores]; []; [shape]; [scale]
      {3, 0, 7, 1, 0,
       [](const V &i) {
         V a = attention(i);
         return V{a[0], a[1], Product({i[0], i[1], i[4]})};
       }},
      // kWindowMask: [in, positions, out]; []; [rows, heads, slots, window]
      {3, 0, 4, 0, 2,
       [](const V &i) {
         const int64_t n = Product({i[0], i[1], i[2]});
         return V{n, i[0], n};
       }},
      // kSoftmax: [in, out]; []; [rows, width]
      {2, 0, 2, 0, 0,
       [](const V &i) {
         const int64_t n = Product({i[0], i[1]});
         return V{n, n};
       }},
      // kAttnValues: [probs, values, out]; []; [shape]
      {3, 0, 7, 0, 0,
       [](const V &i) {
         V a = attention(i);
         return V{Product({i[0], i[1], i[4]}), a[2], a[4]};
       }},
      // kUnary: [in, out]; []; [elements, function]; [parameter]: the
      // function is a row of kernels/common/UnaryFunctions.h.
      {2, 0, 2, 1, 0, [](const V &i) { return V{i[0], i[0]}; }},
      // kAdd: [a, b, out]; []; [elements]
      {3, 0, 1, 0, 0, [](const V &i) { return V{i[0], i[0], i[0]}; }},
      // kMul: [a, b, out]; []; [elements]
      {3, 0, 1, 0, 0, [](const V &i) { return V{i[0], i[0], i[0]}; }},
      // kLogits: [x, out]; [table]; [n, width, vocab]; [cap]
      {2, 1, 3, 1, 0,
       [](const V &i) {
         return V{Product({i[0], i[1]}), Product({i[0], i[2]})};
       }},
      // kAttention: [q, keys, values, positions, out]; []; [shape, window];
      // [scale, cap]
      {5, 0, 8, 2, 8, [](const V &i) { return attention(i); }},
      // kGeglu: [x, out, scratch]; [gate, up]; [n, in, width, gate ranges,
      // up ranges]
      {3, 2, 5, 0, 0,
       [](const V &i) {
         int64_t gate = 0, up = 0;
         const int64_t g = RangesSize(i, 3, &gate);
         if (g < 0 || RangesSize(i, 3 + size_t(g), &up) < 0 ||
             (i[3] > 0 && gate != i[2]) || (i[3 + g] > 0 && up != i[2]))
           return V{};
         const int64_t out = Product({i[0], i[2]});
         return V{Product({i[0], i[1]}), out, out};
       }},
      // kResidualNorm: [a, b, sum, normed]; [weight?]; [rows, width, kind];
      // [eps]
      {4, 1, 3, 1, 0,
       [](const V &i) {
         const int64_t n = Product({i[0], i[1]});
         return V{n, n, n, n};
       }},
      // kNormMatmul: [x, out, scratch]; [norm?, w]; [n, in, out, width,
      // kind, ranges...]; [eps]
      {3, 2, 6, 1, 0,
       [](const V &i) {
         int64_t rows = 0;
         if (RangesSize(i, 5, &rows) < 0 || (i[5] > 0 && rows != i[2]) ||
             i[3] <= 0 || i[1] % i[3] != 0)
           return V{};
         const int64_t x = Product({i[0], i[1]});
         return V{x, Product({i[0], i[2]}), x};
       }},
      // kQkvRope: [x, positions, k_cache, v_cache, q, k, v]; [q, k, v?,
      // query norm?, key norm?]; [n, d, heads, dim, kv batch, slots, kv
      // heads, v batch, v slots, v heads, v dim, kind, value norm, q ranges,
      // k ranges, v ranges]; [eps, base, scale, fraction]
      {7, 5, 16, 4, 2,
       [](const V &i) {
         int64_t q = 0, k = 0, v = 0;
         const int64_t a = RangesSize(i, 13, &q);
         const int64_t b = a < 0 ? -1 : RangesSize(i, 13 + size_t(a), &k);
         const int64_t c = b < 0 ? -1 : RangesSize(i, 13 + size_t(a + b), &v);
         if (c < 0 || (i[4] != 1 && i[4] != i[0]) ||
             (i[7] != 1 && i[7] != i[0]))
           return V{};
         return V{Product({i[0], i[1]}),
                  i[0],
                  Product({i[4], i[5], i[6], i[3]}),
                  Product({i[7], i[8], i[9], i[10]}),
                  Product({i[0], i[2], i[3]}),
                  Product({i[0], i[6], i[3]}),
                  Product({i[0], i[9], i[10]})};
       }},
      // kMoeExperts: [input, logits, out]; [expert scale, gate_up, down];
      // [n, d, experts, ff, top_k]; []
      {3, 3, 5, 0, 0,
       [](const V &i) {
         if (i[4] < 1 || i[4] > i[2])
           return V{};
         const int64_t x = Product({i[0], i[1]});
         return V{x, Product({i[0], i[2]}), x};
       }},
  };
  return layouts[static_cast<uint32_t>(kernel)];
}

// Bit k set: weight k of the kernel must be named (the others may be ""):
// the norms' weights, scale's scalar, and qkv_rope's value and QK-norm
// weights are optional.
uint32_t RequiredWeights(Kernel kernel) {
  if (kernel == Kernel::kRmsNorm || kernel == Kernel::kScale ||
      kernel == Kernel::kResidualNorm)
    return 0;
  if (kernel == Kernel::kNormMatmul)
    return 0b10;
  return kernel == Kernel::kQkvRope ? 0b11 : ~0u;
}

// What the shapes cannot say: which weights a call names, and the
// geometry of its attention, checked once here for every backend.
absl::Status CheckCallSemantics(const Call &call) {
  const std::vector<int64_t> &i = call.ints;
  const auto named = [&](size_t k) { return !call.weights[k].empty(); };
  for (size_t k = 0; k < call.weights.size(); ++k)
    if ((RequiredWeights(call.kernel) >> k & 1) && !named(k))
      return absl::InvalidArgumentError(
          fmt::format("weight {} is required", k));
  switch (call.kernel) {
  case Kernel::kUnary:
    if (i[1] >= kUnaryFnCount || UnaryFnName(int(i[1])) == nullptr)
      return absl::InvalidArgumentError(
          fmt::format("unknown unary function {}", i[1]));
    break;
  case Kernel::kRmsNorm:
  case Kernel::kResidualNorm:
    if (i[2] != 0 && !named(0))
      return absl::InvalidArgumentError("a weighted norm without a weight");
    break;
  case Kernel::kNormMatmul:
    if (i[4] != 0 && !named(0))
      return absl::InvalidArgumentError("a weighted norm without a weight");
    break;
  case Kernel::kAttnScores:
  case Kernel::kAttnValues:
  case Kernel::kAttention:
    if (i[5] <= 0 || i[1] % i[5] != 0 || i[4] <= 0)
      return absl::InvalidArgumentError(
          "an attention geometry without whole query groups");
    break;
  case Kernel::kQkvRope:
    // K=V: no value weight, the values are the keys.
    if (!named(2) && i[9] * i[10] != i[6] * i[3])
      return absl::InvalidArgumentError("K=V with values wider than keys");
    if ((named(3) || named(4) || i[11] != 0) && !(named(3) && named(4)))
      return absl::InvalidArgumentError("a QK-norm without both weights");
    break;
  default:
    break;
  }
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
  return static_cast<uint32_t>(kernel) < kKernelCount && b < 32 &&
         (LayoutOf(kernel).index_buffers >> b & 1) != 0;
}

absl::Status ValidateCall(const Call &call,
                          std::span<const int64_t> available) {
  if (static_cast<uint32_t>(call.kernel) >= kKernelCount)
    return absl::InvalidArgumentError(
        fmt::format("unknown kernel {}", static_cast<uint32_t>(call.kernel)));
  const Layout &layout = LayoutOf(call.kernel);
  if (call.buffers.size() != layout.buffers ||
      call.weights.size() != layout.weights || call.ints.size() < layout.ints ||
      call.reals.size() != layout.reals)
    return absl::InvalidArgumentError(fmt::format(
        "expects {} buffers, {} weights, {}+ ints and {} reals, got {}, "
        "{}, {} and {}",
        layout.buffers, layout.weights, layout.ints, layout.reals,
        call.buffers.size(), call.weights.size(), call.ints.size(),
        call.reals.size()));
  for (int64_t v : call.ints)
    if (v < -1)
      return absl::InvalidArgumentError(
          fmt::format("negative parameter {}", v));
  if (absl::Status s = CheckCallSemantics(call); !s.ok())
    return s;
  const std::vector<int64_t> needs = layout.needs(call.ints);
  if (needs.size() != layout.buffers)
    return absl::InvalidArgumentError("inconsistent shape parameters");
  for (size_t b = 0; b < needs.size() && b < available.size(); ++b)
    if (needs[b] < 0 || needs[b] > available[b])
      return absl::InvalidArgumentError(
          fmt::format("buffer {} holds {} elements, the call needs {}", b,
                      available[b], needs[b]));
  return absl::OkStatus();
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
