//===- GgmlDot.h - Dot products straight from GGML blocks -------*- C++ -*-===//
//
// The matvec of a decode step reads each weight once, so its speed is how
// fast a stored block becomes f32 lanes. These functions read llama.cpp's
// block types in registers (no decoded row is ever stored) and multiply
// them with f32 activations: f32 products, f32 accumulation, one per-block
// or per-sub-block scale applied to each partial sum. They are not
// bit-identical to decode-then-dot (the scale is applied after the sum, not
// before each product) and are tested against it on random blocks.
//
// Each type has a one-row form and a four-row form (four consecutive rows
// `row_bytes` apart: each activation vector is loaded once for four rows,
// and four accumulator chains hide the FMA latency). n is a whole number
// of blocks (32 values for Q8_0 and Q5_0, 256 for Q4_K and Q6_K).
//
//===----------------------------------------------------------------------===//

#ifndef KERNELS_CPU_GGMLDOT_H
#define KERNELS_CPU_GGMLDOT_H

#include <cstdint>

namespace gemma::cpu {

float DotQ8_0(const float *x, const uint8_t *packed, int64_t n);
float DotQ5_0(const float *x, const uint8_t *packed, int64_t n);
float DotQ4_K(const float *x, const uint8_t *packed, int64_t n);
float DotQ6_K(const float *x, const uint8_t *packed, int64_t n);

void DotQ8_0x4(const float *x, const uint8_t *rows, int64_t row_bytes,
               int64_t n, float *out);
void DotQ5_0x4(const float *x, const uint8_t *rows, int64_t row_bytes,
               int64_t n, float *out);
void DotQ4_Kx4(const float *x, const uint8_t *rows, int64_t row_bytes,
               int64_t n, float *out);
void DotQ6_Kx4(const float *x, const uint8_t *rows, int64_t row_bytes,
               int64_t n, float *out);

// out[k] = x . row k for `count` consecutive rows (fours, then single rows)
// in one call: a decode step's matvec of thousands of rows pays the
// dispatch and loop once per range of rows, not once per four.
void DotQ8_0Rows(const float *x, const uint8_t *rows, int64_t row_bytes,
                 int64_t n, int64_t count, float *out);
void DotQ5_0Rows(const float *x, const uint8_t *rows, int64_t row_bytes,
                 int64_t n, int64_t count, float *out);
void DotQ4_KRows(const float *x, const uint8_t *rows, int64_t row_bytes,
                 int64_t n, int64_t count, float *out);
void DotQ6_KRows(const float *x, const uint8_t *rows, int64_t row_bytes,
                 int64_t n, int64_t count, float *out);

// A row of n values (whole blocks) decoded to f32, bit-identical to the
// scalar decoders: the prefill matmul's decode of Q8_0 and Q5_0 weights.
void DecodeQ8_0Row(const uint8_t *row, int64_t n, float *out);
void DecodeQ5_0Row(const uint8_t *row, int64_t n, float *out);

// y[i * y_stride + k] = x_i . row k for n <= 8 activation rows (x_stride
// apart) and `count` consecutive stored rows (a server's batched decode):
// each block decoded in registers once for every activation row. The sums
// are bit-identical to DecodeQ8_0Row / DecodeQ5_0Row followed by
// DotRowsMulti (Vector.h), which keeps a decoded f32 copy of the rows.
void DotQ8_0RowsMulti(const float *x, int64_t n, int64_t x_stride,
                      const uint8_t *rows, int64_t row_bytes, int64_t in,
                      int64_t count, float *y, int64_t y_stride);
void DotQ5_0RowsMulti(const float *x, int64_t n, int64_t x_stride,
                      const uint8_t *rows, int64_t row_bytes, int64_t in,
                      int64_t count, float *y, int64_t y_stride);

} // namespace gemma::cpu

#endif // KERNELS_CPU_GGMLDOT_H
