#version 450
// Half-split RoPE of x [N, HEADS, DIM] (operand 0) into y (operand 1, in
// place allowed). Pair i < PAIRS turns by positions[r] * inv_freq_i, its
// inverse frequency (over the linear scale) given as two floats hi + lo at
// params[TABLE + 2i]: the angle is formed in double-float and reduced mod
// 2 pi before cos/sin, so long contexts keep f32 accuracy.
#include "common.glsl"
#define N I0
#define HEADS I1
#define DIM I2
#define PAIRS I3
#define TABLE I4

float Angle(int p, uint i) {
  precise float hi = params[uint(TABLE) + 2u * i];
  precise float lo = params[uint(TABLE) + 2u * i + 1u];
  precise float fp = float(p); // exact below 2^24
  precise float t1 = fp * hi;
  precise float t2 = fma(fp, hi, -t1) + fp * lo;
  // 2 pi = P1 + P2 + P3, P1 with 8 significant bits: k * P1 is exact.
  const float P1 = 6.28125;
  const float P2 = 1.9353071693331003e-3;
  const float P3 = 1.0253376606378076e-11;
  precise float k = round(t1 * 0.15915494309189535);
  precise float r = fma(-k, P1, t1);
  r = fma(-k, P2, r);
  r = fma(-k, P3, r);
  return r + t2;
}

void main() {
  uint g = ThreadIndex();
  uint half_dim = uint(DIM) / 2u;
  if (g >= uint(N * HEADS) * half_dim)
    return;
  uint i = g % half_dim, rh = g / half_dim, r = rh / uint(HEADS);
  uint base = rh * uint(DIM);
  float a = LD(0, base + i), b = LD(0, base + i + half_dim);
  if (i < uint(PAIRS)) {
    float theta = Angle(positions[r], i);
    float c = cos(theta), s = sin(theta);
    ST(1, base + i, a * c - b * s);
    ST(1, base + i + half_dim, b * c + a * s);
  } else {
    ST(1, base + i, a);
    ST(1, base + i + half_dim, b);
  }
}
