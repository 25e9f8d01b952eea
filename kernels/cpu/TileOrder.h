//===- TileOrder.h - The order a prefill GEMM computes its output -*- C++
//-*-===//
//
// Shared by the f32 GEMM (Gemm.cpp) and the bf16 one (GemmBf16.cpp), which
// differ in their tiles, not in how the tiles are visited.
//
//===----------------------------------------------------------------------===//

#ifndef KERNELS_CPU_TILEORDER_H
#define KERNELS_CPU_TILEORDER_H

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace gemma::cpu {

// Weight rows [0, count) in blocks of `BlockRows`, which stay in the L2
// cache while every panel of `Width` tokens (of n) passes over them; each
// block against each panel in tiles of R rows, the block's last rows (fewer
// than R) as one smaller tile. Calls tile(first_row, rows, panel, tokens,
// out, out_stride): the tile writes its [tokens, rows] outputs to `out`,
// a staging buffer in L1, and each block-panel's outputs then go to y
// ([n, y_stride]) as one contiguous run per token. Written straight to y,
// a tile's column stores hit one line per token, y_stride apart: with 2048
// outputs a row (8 KiB) those lines all share one L1 set, and the GEMM
// measured 15% slower than with 2064.
// Always inlined: into the caller's vector target, so that `tile` and the
// microkernel in it are inlined too (a call per tile measured 2-6% slower).
template <int R, int64_t Width, int64_t BlockRows, class Tile>
__attribute__((always_inline)) inline void
ForEachTile(int64_t count, int64_t n, float *y, int64_t y_stride,
            const Tile &tile) {
  alignas(64) float stage[Width * BlockRows];
  const int64_t panels = (n + Width - 1) / Width;
  for (int64_t j0 = 0; j0 < count; j0 += BlockRows) {
    const int64_t j1 = std::min(count, j0 + BlockRows);
    for (int64_t p = 0; p < panels; ++p) {
      const int64_t tokens = std::min(Width, n - p * Width);
      int64_t j = j0;
      for (; j + R <= j1; j += R)
        tile(j, int64_t(R), p, tokens, stage + (j - j0), BlockRows);
      if (j < j1)
        tile(j, j1 - j, p, tokens, stage + (j - j0), BlockRows);
      for (int64_t m = 0; m < tokens; ++m)
        std::memcpy(y + (p * Width + m) * y_stride + j0, stage + m * BlockRows,
                    size_t(j1 - j0) * sizeof(float));
    }
  }
}

} // namespace gemma::cpu

#endif // KERNELS_CPU_TILEORDER_H
