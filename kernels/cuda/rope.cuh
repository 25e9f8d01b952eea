// Half-split RoPE of x [N, HEADS, DIM] (operand 0) into y (operand 1, in
// place allowed), one thread per pair. Pair i < PAIRS turns by
// positions[r] * inv_freq_i, its inverse frequency (over the linear scale)
// given as two floats hi + lo at params[TABLE + 2i]: the angle is formed in
// double-float and reduced mod 2 pi before cosf/sinf, so long contexts
// keep f32 accuracy (the Vulkan shader's method; no f64 needed).
namespace gk {

__device__ __forceinline__ float RopeAngle(const float *table, int p,
                                           unsigned i) {
  const float hi = table[2u * i], lo = table[2u * i + 1u];
  const float fp = float(p); // exact below 2^24
  const float t1 = fp * hi;
  const float t2 = fmaf(fp, hi, -t1) + fp * lo;
  // 2 pi = P1 + P2 + P3, P1 with 8 significant bits: k * P1 is exact.
  const float P1 = 6.28125f;
  const float P2 = 1.9353071693331003e-3f;
  const float P3 = 1.0253376606378076e-11f;
  const float k = rintf(t1 * 0.15915494309189535f);
  float r = fmaf(-k, P1, t1);
  r = fmaf(-k, P2, r);
  r = fmaf(-k, P3, r);
  return r + t2;
}

template <class S> __device__ void Rope(const KernelArgs &a) {
  const int N = S::I0, HEADS = S::I1, DIM = S::I2, PAIRS = S::I3, TABLE = S::I4;
  const unsigned g = ThreadIndex<S>(), half = unsigned(DIM) / 2u;
  if (g >= unsigned(N * HEADS) * half)
    return;
  const unsigned i = g % half, rh = g / half, r = rh / unsigned(HEADS);
  const u64 base = u64(rh) * unsigned(DIM);
  const float x0 = Op(a, 0)[base + i], x1 = Op(a, 0)[base + i + half];
  float *y = Op(a, 1) + base;
  if (i < unsigned(PAIRS)) {
    const float theta = RopeAngle(
        reinterpret_cast<const float *>(a.params) + TABLE, Positions(a)[r], i);
    const float c = cosf(theta), s = sinf(theta);
    y[i] = x0 * c - x1 * s;
    y[i + half] = x1 * c + x0 * s;
  } else {
    y[i] = x0;
    y[i + half] = x1;
  }
}

} // namespace gk
