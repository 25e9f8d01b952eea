// One block per row: RMSNorm of x (operand 0) into y (operand 1); with
// RESIDUAL, x + r (operand 2) is normed and also stored (operand 3).
// KIND: 0 no weight, 1 x * (1 + w), 2 x * w. In place allowed.
namespace gk {

template <class S> __device__ void RmsNorm(const KernelArgs &a) {
  const int WIDTH = S::I0, KIND = S::I1, RESIDUAL = S::I2, ROWS = S::I3;
  const float EPS = S::F0;
  __shared__ float scratch[32];
  const unsigned row = BlockIndex();
  if (row >= unsigned(ROWS))
    return;
  const u64 base = u64(row) * unsigned(WIDTH);
  const float *x = Op(a, 0) + base;
  float *y = Op(a, 1) + base;
  float sum = 0.0f;
  for (int i = int(threadIdx.x); i < WIDTH; i += S::BLOCK) {
    float v = x[i];
    if (RESIDUAL) {
      v += Op(a, 2)[base + u64(i)];
      Op(a, 3)[base + u64(i)] = v;
    }
    sum += v * v;
  }
  sum = BlockReduce<S>(sum, false, scratch);
  const float inv = rsqrtf(sum / float(WIDTH) + EPS);
  const float *v = RESIDUAL ? Op(a, 3) + base : x;
  for (int i = int(threadIdx.x); i < WIDTH; i += S::BLOCK) {
    float w = KIND == 0 ? 1.0f : W<S>(a, u64(i)) * a.wscale;
    if (KIND == 1)
      w += 1.0f;
    y[i] = v[i] * inv * w;
  }
}

} // namespace gk
