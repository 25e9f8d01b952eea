#version 450
// y[n, o] = x[n, :] . w[row(o), :] * scale: one workgroup per output o.
// row(o) walks up to four row ranges (all rows when there are none). With
// HEADS > 0 the weight is head-major [HEADS * OUT, IN]: y[n, o] =
// sum_h x[n, h, :] . w[h * OUT + o, :]. CAP > 0 soft-caps (the logits).
// Operands: 0 x, 1 y.
#include "common.glsl"
#define N I0
#define IN I1
#define OUT I2
#define HEADS I3
#define RANGES I4
#define CAP F0

shared float partial[256];

uint Row(uint o) {
  int begins[4] = int[4](I5, I7, I9, I11);
  int ends[4] = int[4](I6, I8, I10, I12);
  uint left = o;
  for (int r = 0; r < RANGES; ++r) {
    uint len = uint(ends[r] - begins[r]);
    if (left < len)
      return uint(begins[r]) + left;
    left -= len;
  }
  return o;
}

void main() {
  uint o = GroupIndex(), t = gl_LocalInvocationID.x;
  if (o >= uint(OUT))
    return;
  uint inner = HEADS > 0 ? uint(HEADS * IN) : uint(IN);
  uint row = HEADS > 0 ? o : Row(o);
  for (uint n = 0u; n < uint(N); ++n) {
    float sum = 0.0;
    for (uint k = t; k < inner; k += gl_WorkGroupSize.x) {
      uint wrow = row, col = k;
      if (HEADS > 0) {
        wrow = (k / uint(IN)) * uint(OUT) + o;
        col = k % uint(IN);
      }
      sum += LD(0, n * inner + k) * W(wrow * uint(IN) + col);
    }
    partial[t] = sum;
    barrier();
    for (uint s = gl_WorkGroupSize.x / 2u; s > 0u; s >>= 1) {
      if (t < s)
        partial[t] += partial[t + s];
      barrier();
    }
    if (t == 0u) {
      float y = partial[0] * pc.wscale;
      if (CAP > 0.0)
        y = CAP * tanh(y / CAP);
      ST(1, n * uint(OUT) + o, y);
    }
    barrier();
  }
}
