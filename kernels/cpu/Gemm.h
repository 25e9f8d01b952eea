//===- Gemm.h - The prefill matmul's register-blocked kernel ----*- C++ -*-===//
//
// y[i, j] = x[i, :] . w_j for a prefill chunk of activation rows i and a
// block of weight rows j decoded to f32. The activations are laid out once
// per matmul, k-major in panels of GemmTokenWidth() rows ("packed"); the
// decoded weight rows are used as they are. A register tile is R weight
// rows by one panel: at each k, two vector loads of the panel serve all R
// rows, and each w_j[k] is broadcast once for the panel's tokens. The
// accumulators stay in registers for the whole inner dimension; no
// horizontal sums, and no weight is ever transposed (a weight is decoded
// once and used for every token; the activations, far fewer, are the ones
// rearranged).
//
// Numerics: each output is one f32 lane accumulated in k order (as BLAS's
// f32 GEMM kernels do), f32 products, activations never rounded.
//
//===----------------------------------------------------------------------===//

#ifndef KERNELS_CPU_GEMM_H
#define KERNELS_CPU_GEMM_H

#include <algorithm>
#include <cstdint>

namespace gemma::cpu {

// Activation rows per panel on the running target: two f32 vectors (32 on
// AVX-512, 16 on AVX2).
int64_t GemmTokenWidth();

// Floats PackTokens writes for n rows of k values.
int64_t PackedTokensSize(int64_t n, int64_t k);

// Panels p < ceil(n / width) of rows [p * width, (p + 1) * width) of x
// [n, k]: packed[(p * k + t) * width + m] = x[(p * width + m) * k + t],
// zero past row n. `packed` is aligned to 64 bytes. Panels [first, last)
// only, so that threads can share the work.
void PackTokens(const float *x, int64_t n, int64_t k, float *packed,
                int64_t first_panel, int64_t last_panel);

// Bytes to bring into the cache while a GEMM runs (the next block of
// stored weight rows), a line per step of its first panel's tiles: spread
// through the computation, so that memory and arithmetic overlap.
struct Prefetch {
  const uint8_t *data = nullptr;
  int64_t bytes = 0;
};

// The slice of `next` that the tile of weight rows from `row` (tiles of
// `tile_rows` rows, `count` rows in all) fetches while it runs against
// panel `panel`: the first panel's tiles share `next` evenly, the others
// fetch nothing.
inline Prefetch PrefetchSlice(const Prefetch &next, int64_t count,
                              int64_t tile_rows, int64_t row, int64_t panel) {
  if (panel != 0 || !next.data)
    return {};
  const int64_t tiles = (count + tile_rows - 1) / tile_rows;
  const int64_t slice = (next.bytes + tiles - 1) / tiles;
  const int64_t at = row / tile_rows * slice;
  return {next.data + at, std::clamp<int64_t>(next.bytes - at, 0, slice)};
}

// y[i * y_stride + j] = x_i . w[j * w_stride : j * w_stride + k] for i < n,
// j < count, with x packed by PackTokens. A w_stride of k plus a cache
// line keeps the tile's rows in different L1 sets when k is a multiple of
// 1024 (rows 4 KiB apart all map to one set of an 8-way L1).
void GemmRows(const float *w, int64_t w_stride, int64_t count, int64_t k,
              const float *packed, int64_t n, float *y, int64_t y_stride,
              Prefetch next = {});

// The row stride GemmRows reads fastest for rows of k values.
int64_t GemmRowStride(int64_t k);

} // namespace gemma::cpu

#endif // KERNELS_CPU_GEMM_H
