//===- KernelParams.h - One definition per plan kernel ----------*- C++ -*-===//
//
// Each plan kernel's contract in one place: its buffers (f32, or i32 token
// ids and positions), its weights (required or optional), and its static
// parameters by name. From these rows come
//   - a parameter struct per kernel (EmbedParams, ..., QkvRopeParams) that
//     the lowering fills and every backend reads by field name;
//   - the encoding of that struct into a call's `ints` and `reals` (the
//     .plan file stores those lists) and its checked decoding;
//   - the operand counts, buffer element types and required weights that
//     plan::ValidateCall checks.
// What a row cannot say (how many elements each buffer needs, and checks
// across fields) is written once per kernel in PlanProgram.cpp, on the
// named fields.
//
// A row GEMMA_KERNEL_<Name>(B, X, W, O, I, N, R, G) lists, in order:
//   B(name)  an f32 buffer          X(name)  an i32 buffer
//   W(name)  a required weight      O(name)  an optional weight ("" absent)
//   I(name)  an int                 N(name)  a last, optional int (-1 absent)
//   R(name)  a real                 G(name)  row ranges (a count, then
//                                            [begin, end) pairs, in ints)
// Buffers and weights are positional; ints (I, N, G in order) and reals
// (R in order) are stored in the order of the row. Changing a row other
// than by appending a kernel changes the stored format: bump
// kPlanFormatVersion (runtime/plan/PlanFile.h).
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_PLAN_KERNELPARAMS_H
#define RUNTIME_PLAN_KERNELPARAMS_H

#include "runtime/plan/PlanProgram.h"

#include "absl/status/statusor.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

// clang-format off
// [ids, out]; [table]; the embedding row of each id times `scale`, columns
// [first_column, first_column + width) of the table (all of a table of
// `width` columns when absent: a per-layer slice otherwise).
#define GEMMA_KERNEL_Embed(B, X, W, O, I, N, R, G) \
  X(ids) B(out) \
  W(table) \
  I(n) I(width) N(first_column) R(scale)
// `rows` rows of `width`; `kind` a NormKind (0 none, 1 1 + w, 2 w).
#define GEMMA_KERNEL_RmsNorm(B, X, W, O, I, N, R, G) \
  B(x) B(out) \
  O(weight) \
  I(rows) I(width) I(kind) R(eps)
// y [n, out] = x [n, in] times rows of w (`rows`, or rows 0..out).
#define GEMMA_KERNEL_Matmul(B, X, W, O, I, N, R, G) \
  B(x) B(y) \
  W(w) \
  I(n) I(in) I(out) G(rows)
// y [n, out] = sum over heads h of x [n, h, in_h] times w's block h
// ([heads * out, in_h], head-major).
#define GEMMA_KERNEL_MatmulHeads(B, X, W, O, I, N, R, G) \
  B(x) B(y) \
  W(w) \
  I(n) I(heads) I(in_h) I(out)
#define GEMMA_KERNEL_Rope(B, X, W, O, I, N, R, G) \
  B(x) X(positions) B(out) \
  I(n) I(heads) I(dim) R(base) R(scale) R(fraction)
// n rows of `width` into cache [batch, slots, width] at their positions
// (batch 1, or one sequence per row).
#define GEMMA_KERNEL_KvWrite(B, X, W, O, I, N, R, G) \
  B(x) X(positions) B(cache) \
  I(batch) I(slots) I(width) I(n)
// The attention geometry (AttnScores, AttnValues, Attention): `rows` query
// rows of `heads` heads of `dim`; caches [batch, slots, kv_heads, dim] and
// [..., value_dim].
#define GEMMA_ATTENTION_SHAPE(I) \
  I(rows) I(heads) I(dim) I(batch) I(slots) I(kv_heads) I(value_dim)
#define GEMMA_KERNEL_AttnScores(B, X, W, O, I, N, R, G) \
  B(q) B(keys) B(scores) \
  GEMMA_ATTENTION_SHAPE(I) R(scale)
#define GEMMA_KERNEL_WindowMask(B, X, W, O, I, N, R, G) \
  B(in) X(positions) B(out) \
  I(rows) I(heads) I(slots) I(window)
#define GEMMA_KERNEL_Softmax(B, X, W, O, I, N, R, G) \
  B(in) B(out) \
  I(rows) I(width)
#define GEMMA_KERNEL_AttnValues(B, X, W, O, I, N, R, G) \
  B(probs) B(values) B(out) \
  GEMMA_ATTENTION_SHAPE(I)
// The elementwise family (kernels/common/ElementwiseFunctions.h).
// out = f(in; parameter), f the unary table's row `function`; the
// parameter is the value of the one-element weight `scalar` where it is
// named (Gemma 4's layer scalar), else `parameter` (0 for none).
#define GEMMA_KERNEL_Unary(B, X, W, O, I, N, R, G) \
  B(in) B(out) \
  O(scalar) \
  I(elements) I(function) R(parameter)
// out = f(a, b), f the binary table's row `function`.
#define GEMMA_KERNEL_Binary(B, X, W, O, I, N, R, G) \
  B(a) B(b) B(out) \
  I(elements) I(function)
// x [n, width] times the first `vocab` rows of the table; `cap` > 0
// soft-caps.
#define GEMMA_KERNEL_Logits(B, X, W, O, I, N, R, G) \
  B(x) B(out) \
  W(table) \
  I(n) I(width) I(vocab) R(cap)
// `window` > 0: keys at most window - 1 positions back.
#define GEMMA_KERNEL_Attention(B, X, W, O, I, N, R, G) \
  B(q) B(keys) B(values) X(positions) B(out) \
  GEMMA_ATTENTION_SHAPE(I) I(window) R(scale) R(cap)
// out = gelu(x gate^T) * (x up^T), `scratch` the up half.
#define GEMMA_KERNEL_Geglu(B, X, W, O, I, N, R, G) \
  B(x) B(out) B(scratch) \
  W(gate) W(up) \
  I(n) I(in) I(width) G(gate_rows) G(up_rows)
#define GEMMA_KERNEL_ResidualNorm(B, X, W, O, I, N, R, G) \
  B(a) B(b) B(sum) B(normed) \
  O(weight) \
  I(rows) I(width) I(kind) R(eps)
// x [n, in] RMS-normed in rows of `width` (into `scratch`), then a matmul.
#define GEMMA_KERNEL_NormMatmul(B, X, W, O, I, N, R, G) \
  B(x) B(out) B(scratch) \
  O(norm) W(w) \
  I(n) I(in) I(out) I(width) I(kind) G(rows) R(eps)
// The Q, K, V projections of x [n, d] (no v weight: the values are the
// keys, K=V), the QK-norm (`kind`, both weights or none), the value norm,
// RoPE, and both cache writes.
#define GEMMA_KERNEL_QkvRope(B, X, W, O, I, N, R, G) \
  B(x) X(positions) B(k_cache) B(v_cache) B(q) B(k) B(v) \
  W(q_weight) W(k_weight) O(v_weight) O(query_norm) O(key_norm) \
  I(n) I(d) I(heads) I(dim) I(k_batch) I(k_slots) I(kv_heads) I(v_batch) \
  I(v_slots) I(v_heads) I(v_dim) I(kind) I(value_norm) G(q_rows) G(k_rows) \
  G(v_rows) R(eps) R(base) R(scale) R(fraction)
// Each row's top_k experts by `logits` [n, experts]: gelu-gated MLPs.
#define GEMMA_KERNEL_MoeExperts(B, X, W, O, I, N, R, G) \
  B(input) B(logits) B(out) \
  W(expert_scale) W(gate_up) W(down) \
  I(n) I(d) I(experts) I(ff) I(top_k)
// clang-format on

namespace gemma::plan {

struct RowRange {
  int64_t begin = 0, end = 0;
  bool operator==(const RowRange &) const = default;
};

#define GEMMA_P_NONE(name)
#define GEMMA_P_INT_FIELD(name) int64_t name = 0;
#define GEMMA_P_OPTIONAL_FIELD(name) int64_t name = -1;
#define GEMMA_P_REAL_FIELD(name) double name = 0.0;
#define GEMMA_P_RANGES_FIELD(name) std::vector<RowRange> name;
#define GEMMA_P_VISIT_INT(name) v.Int(self.name);
#define GEMMA_P_VISIT_OPTIONAL(name) v.OptionalInt(self.name);
#define GEMMA_P_VISIT_REAL(name) v.Real(self.name);
#define GEMMA_P_VISIT_RANGES(name) v.Ranges(self.name);
#define GEMMA_P_COUNT(name) +1
#define GEMMA_P_NAME(name) #name,
#define GEMMA_P_TRUE(name) true,
#define GEMMA_P_FALSE(name) false,

#define GEMMA_PLAN_PARAMS_STRUCT(value, Name, mnemonic)                        \
  struct Name##Params {                                                        \
    static constexpr Kernel kKernel = Kernel::k##Name;                         \
    GEMMA_KERNEL_##Name(GEMMA_P_NONE, GEMMA_P_NONE, GEMMA_P_NONE,              \
                        GEMMA_P_NONE, GEMMA_P_INT_FIELD,                       \
                        GEMMA_P_OPTIONAL_FIELD, GEMMA_P_REAL_FIELD,            \
                        GEMMA_P_RANGES_FIELD) static constexpr size_t          \
        kBuffers = 0 GEMMA_KERNEL_                                             \
        ##Name(GEMMA_P_COUNT, GEMMA_P_COUNT, GEMMA_P_NONE, GEMMA_P_NONE,       \
               GEMMA_P_NONE, GEMMA_P_NONE, GEMMA_P_NONE, GEMMA_P_NONE);        \
    static constexpr size_t kWeights = 0 GEMMA_KERNEL_##Name(                  \
        GEMMA_P_NONE, GEMMA_P_NONE, GEMMA_P_COUNT, GEMMA_P_COUNT,              \
        GEMMA_P_NONE, GEMMA_P_NONE, GEMMA_P_NONE, GEMMA_P_NONE);               \
    /* Ints every call has: the plain ones and one count per range list. */    \
    static constexpr size_t kMinInts = 0 GEMMA_KERNEL_##Name(                  \
        GEMMA_P_NONE, GEMMA_P_NONE, GEMMA_P_NONE, GEMMA_P_NONE, GEMMA_P_COUNT, \
        GEMMA_P_NONE, GEMMA_P_NONE, GEMMA_P_COUNT);                            \
    static constexpr size_t kReals = 0 GEMMA_KERNEL_##Name(                    \
        GEMMA_P_NONE, GEMMA_P_NONE, GEMMA_P_NONE, GEMMA_P_NONE, GEMMA_P_NONE,  \
        GEMMA_P_NONE, GEMMA_P_COUNT, GEMMA_P_NONE);                            \
    static constexpr std::array<const char *, kBuffers> kBufferNames{          \
        {GEMMA_KERNEL_##Name(GEMMA_P_NAME, GEMMA_P_NAME, GEMMA_P_NONE,         \
                             GEMMA_P_NONE, GEMMA_P_NONE, GEMMA_P_NONE,         \
                             GEMMA_P_NONE, GEMMA_P_NONE)}};                    \
    static constexpr std::array<bool, kBuffers> kIndexBuffer{                  \
        {GEMMA_KERNEL_##Name(GEMMA_P_FALSE, GEMMA_P_TRUE, GEMMA_P_NONE,        \
                             GEMMA_P_NONE, GEMMA_P_NONE, GEMMA_P_NONE,         \
                             GEMMA_P_NONE, GEMMA_P_NONE)}};                    \
    static constexpr std::array<const char *, kWeights> kWeightNames{          \
        {GEMMA_KERNEL_##Name(GEMMA_P_NONE, GEMMA_P_NONE, GEMMA_P_NAME,         \
                             GEMMA_P_NAME, GEMMA_P_NONE, GEMMA_P_NONE,         \
                             GEMMA_P_NONE, GEMMA_P_NONE)}};                    \
    static constexpr std::array<bool, kWeights> kRequiredWeight{               \
        {GEMMA_KERNEL_##Name(GEMMA_P_NONE, GEMMA_P_NONE, GEMMA_P_TRUE,         \
                             GEMMA_P_FALSE, GEMMA_P_NONE, GEMMA_P_NONE,        \
                             GEMMA_P_NONE, GEMMA_P_NONE)}};                    \
    /* The parameters in stored order, for the writer and the reader. */       \
    template <class Self, class Visitor>                                       \
    static void Fields([[maybe_unused]] Self &self,                            \
                       [[maybe_unused]] Visitor &v) {                          \
      GEMMA_KERNEL_##Name(GEMMA_P_NONE, GEMMA_P_NONE, GEMMA_P_NONE,            \
                          GEMMA_P_NONE, GEMMA_P_VISIT_INT,                     \
                          GEMMA_P_VISIT_OPTIONAL, GEMMA_P_VISIT_REAL,          \
                          GEMMA_P_VISIT_RANGES)                                \
    }                                                                          \
    bool operator==(const Name##Params &) const = default;                     \
  };
GEMMA_PLAN_KERNELS(GEMMA_PLAN_PARAMS_STRUCT)
#undef GEMMA_PLAN_PARAMS_STRUCT

// The parameter struct of a kernel value.
template <Kernel K> struct ParamsOf;
#define GEMMA_PLAN_PARAMS_OF(value, Name, mnemonic)                            \
  template <> struct ParamsOf<Kernel::k##Name> {                               \
    using type = Name##Params;                                                 \
  };
GEMMA_PLAN_KERNELS(GEMMA_PLAN_PARAMS_OF)
#undef GEMMA_PLAN_PARAMS_OF

namespace detail {

struct ParamWriter {
  std::vector<int64_t> &ints;
  std::vector<double> &reals;
  void Int(int64_t v) { ints.push_back(v); }
  void OptionalInt(int64_t v) {
    if (v >= 0)
      ints.push_back(v);
  }
  void Real(double v) { reals.push_back(v); }
  void Ranges(const std::vector<RowRange> &ranges) {
    ints.push_back(int64_t(ranges.size()));
    for (const RowRange &r : ranges) {
      ints.push_back(r.begin);
      ints.push_back(r.end);
    }
  }
};

// Reads what ParamWriter wrote; `ok` false when the lists are too short,
// a range list is malformed (a negative count, an empty or negative
// range), or values are left over.
struct ParamReader {
  const std::vector<int64_t> &ints;
  const std::vector<double> &reals;
  size_t i = 0, r = 0;
  bool ok = true;
  void Int(int64_t &v) {
    if (i < ints.size())
      v = ints[i++];
    else
      ok = false;
  }
  void OptionalInt(int64_t &v) { v = i < ints.size() ? ints[i++] : -1; }
  void Real(double &v) {
    if (r < reals.size())
      v = reals[r++];
    else
      ok = false;
  }
  void Ranges(std::vector<RowRange> &ranges);
  bool Done() const { return ok && i == ints.size() && r == reals.size(); }
};

} // namespace detail

// p's ints and reals, as MakeCall stores them.
template <class P>
void EncodeParams(const P &p, std::vector<int64_t> &ints,
                  std::vector<double> &reals) {
  detail::ParamWriter writer{ints, reals};
  P::Fields(p, writer);
}

// The call of `p` over these buffers and weights (names, "" for an absent
// optional one).
template <class P>
Call MakeCall(const P &p, std::vector<Buffer> buffers,
              std::vector<std::string> weights) {
  Call call;
  call.kernel = P::kKernel;
  call.buffers = std::move(buffers);
  call.weights = std::move(weights);
  EncodeParams(p, call.ints, call.reals);
  return call;
}

// The parameters of a call of P's kernel; "inconsistent shape parameters"
// when its ints and reals do not decode as P's (ValidateCall has checked
// a program's calls before any backend reads them).
template <class P> absl::StatusOr<P> DecodeParams(const Call &call) {
  if (call.kernel != P::kKernel)
    return absl::InvalidArgumentError(
        std::string("a call of another kernel read as ") +
        KernelName(P::kKernel));
  P p;
  detail::ParamReader reader{call.ints, call.reals};
  P::Fields(p, reader);
  if (!reader.Done())
    return absl::InvalidArgumentError("inconsistent shape parameters");
  return p;
}

} // namespace gemma::plan

#endif // RUNTIME_PLAN_KERNELPARAMS_H
