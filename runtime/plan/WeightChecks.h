//===- WeightChecks.h - A call's weights against its parameters -*- C++ -*-===//
//
// What every backend checks when it binds a call to the model's weights,
// written once so that each check has one message: a weight is anything
// with `rows` and `cols` (the CPU's WeightView, a GPU backend's uploaded
// weight), named as the call names it. The plan itself was checked by
// plan::ValidateCall; these are the facts only the weight file knows.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_PLAN_WEIGHTCHECKS_H
#define RUNTIME_PLAN_WEIGHTCHECKS_H

#include "runtime/plan/KernelParams.h"

#include "absl/status/status.h"

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

namespace gemma::plan {

inline absl::Status WeightDoesNotFit(const std::string &name,
                                     const std::string &what) {
  return absl::InvalidArgumentError(
      fmt::format("weight '{}' does not fit: {}", name, what));
}

// A projection reading `in` columns into `out` outputs: rows 0..out, or
// the rows of `ranges`, which must give `out` outputs.
template <class W>
absl::Status CheckProjection(const std::string &name, const W &w,
                             const std::vector<RowRange> &ranges, int64_t in,
                             int64_t out) {
  int64_t end = ranges.empty() ? out : 0, selected = 0;
  for (const RowRange &r : ranges) {
    end = std::max(end, r.end);
    selected += r.end - r.begin;
  }
  if (!ranges.empty() && selected != out)
    return absl::InvalidArgumentError(
        fmt::format("row ranges select {} rows for {} outputs", selected, out));
  if (w.cols != in || end > w.rows)
    return WeightDoesNotFit(
        name,
        fmt::format("{} x {}, the call reads {} columns and rows up to {}",
                    w.rows, w.cols, in, end));
  return absl::OkStatus();
}

// A norm's weight: one row of `width` values.
template <class W>
absl::Status CheckNormWeight(const std::string &name, const W &w,
                             int64_t width) {
  if (w.cols != width || w.rows * w.cols != width)
    return WeightDoesNotFit(name, fmt::format("a norm of width {}", width));
  return absl::OkStatus();
}

// An embedding table: `width` columns, or a slice of a wider one from
// `first_column` (>= 0) on.
template <class W>
absl::Status CheckEmbedTable(const std::string &name, const W &w,
                             const EmbedParams &p) {
  const bool fits = p.first_column >= 0 ? p.first_column + p.width <= w.cols
                                        : w.cols == p.width;
  return fits ? absl::OkStatus()
              : WeightDoesNotFit(name, "the embedding width");
}

template <class W>
absl::Status CheckLogitsTable(const std::string &name, const W &w,
                              const LogitsParams &p) {
  return w.cols == p.width && p.vocab <= w.rows
             ? absl::OkStatus()
             : WeightDoesNotFit(name, "the embedding table of the logits");
}

template <class W>
absl::Status CheckHeadMajor(const std::string &name, const W &w,
                            const MatmulHeadsParams &p) {
  return w.cols == p.in_h && w.rows == p.heads * p.out
             ? absl::OkStatus()
             : WeightDoesNotFit(name, "a head-major [heads * out, in] matrix");
}

template <class W>
absl::Status CheckScalar(const std::string &name, const W &w) {
  return w.rows * w.cols == 1 ? absl::OkStatus()
                              : WeightDoesNotFit(name, "a scalar");
}

// The expert scales [experts], gate and up [2 * experts * ff, d] and down
// [experts * d, ff].
template <class W>
absl::Status CheckExperts(const std::string &name, const W &scale,
                          const W &gate_up, const W &down,
                          const MoeExpertsParams &p) {
  const bool fits = scale.rows * scale.cols == p.experts &&
                    gate_up.rows == 2 * p.experts * p.ff &&
                    gate_up.cols == p.d && down.rows == p.experts * p.d &&
                    down.cols == p.ff;
  return fits ? absl::OkStatus()
              : WeightDoesNotFit(name, "the expert weights' shapes");
}

} // namespace gemma::plan

#endif // RUNTIME_PLAN_WEIGHTCHECKS_H
