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

namespace gemma::cpu {

// Weight rows [0, count) in blocks of `block_rows`, which stay in the L2
// cache while every panel of `width` tokens (of n) passes over them; each
// block against each panel in tiles of R rows, the block's last rows (fewer
// than R) as one smaller tile. Calls tile(first_row, rows, panel, tokens).
// Always inlined: into the caller's vector target, so that `tile` and the
// microkernel in it are inlined too (a call per tile measured 2-6% slower).
template <int R, class Tile>
__attribute__((always_inline)) inline void
ForEachTile(int64_t count, int64_t n, int64_t width, int64_t block_rows,
            const Tile &tile) {
  const int64_t panels = (n + width - 1) / width;
  for (int64_t j0 = 0; j0 < count; j0 += block_rows) {
    const int64_t j1 = std::min(count, j0 + block_rows);
    for (int64_t p = 0; p < panels; ++p) {
      const int64_t tokens = std::min(width, n - p * width);
      int64_t j = j0;
      for (; j + R <= j1; j += R)
        tile(j, int64_t(R), p, tokens);
      if (j < j1)
        tile(j, j1 - j, p, tokens);
    }
  }
}

} // namespace gemma::cpu

#endif // KERNELS_CPU_TILEORDER_H
