// Fused attention, one block per (row, head): the softmax over the
// positions the mask keeps (causal, within WINDOW when > 0, still in the
// ring of SLOTS) of SCALE * q . k (soft-capped when CAP > 0), times the
// values. An online softmax over chunks of BLOCK positions: a chunk's
// scores live in shared memory, never the whole row. Each thread owns
// value dimensions t, t + BLOCK, ... Operands: 0 q [ROWS, HEADS, DIM],
// 1 keys [BATCH, SLOTS, KV, DIM], 2 values [BATCH, SLOTS, KV, VDIM], 3 out
// [ROWS, HEADS, VDIM].
namespace gk {

template <class S> __device__ void Attention(const KernelArgs &a) {
  const int ROWS = S::I0, HEADS = S::I1, DIM = S::I2, BATCH = S::I3,
            SLOTS = S::I4, KV = S::I5, VDIM = S::I6, WINDOW = S::I7;
  const float SCALE = S::F0, CAP = S::F1;
  const int kPerThread = (VDIM + S::BLOCK - 1) / S::BLOCK;
  const int kMaxPerThread = 4; // VDIM <= 4 * BLOCK (the runtime checks)
  __shared__ float score[256]; // BLOCK <= 256 (the runtime checks)
  __shared__ float scratch[32];
  const unsigned item = BlockIndex(), t = threadIdx.x;
  if (item >= unsigned(ROWS * HEADS))
    return;
  const unsigned r = item / unsigned(HEADS), h = item % unsigned(HEADS);
  const unsigned g = h / unsigned(HEADS / KV);
  const unsigned b = BATCH == 1 ? 0u : r;
  const int p = Positions(a)[r];
  int first = Max(0, p - SLOTS + 1);
  if (WINDOW > 0)
    first = Max(first, p - WINDOW + 1);
  const int count = p - first + 1;
  const float *q = Op(a, 0) + u64(item) * unsigned(DIM);
  const float *keys = Op(a, 1), *values = Op(a, 2);
  float acc[kMaxPerThread];
  for (int k = 0; k < kMaxPerThread; ++k)
    acc[k] = 0.0f;
  float running_max = -Inf(), denom = 0.0f;
  for (int chunk = 0; chunk < count; chunk += S::BLOCK) {
    float z = -Inf();
    if (chunk + int(t) < count) {
      const unsigned slot = unsigned(first + chunk + int(t)) % unsigned(SLOTS);
      const float *k =
          keys + ((u64(b) * unsigned(SLOTS) + slot) * unsigned(KV) + g) *
                     unsigned(DIM);
      float dot = 0.0f;
      for (int i = 0; i < DIM; ++i)
        dot += q[i] * k[i];
      z = SCALE * dot;
      if (CAP > 0.0f)
        z = CAP * tanhf(z / CAP);
    }
    score[t] = z;
    const float m = fmaxf(running_max, BlockReduce<S>(z, true, scratch));
    const int n = Min(S::BLOCK, count - chunk);
    const float rescale = expf(running_max - m);
    denom *= rescale;
    for (int k = 0; k < kMaxPerThread; ++k)
      acc[k] *= rescale;
    for (int j = 0; j < n; ++j) {
      const float e = expf(score[j] - m);
      denom += e;
      const unsigned slot = unsigned(first + chunk + j) % unsigned(SLOTS);
      const float *v =
          values + ((u64(b) * unsigned(SLOTS) + slot) * unsigned(KV) + g) *
                       unsigned(VDIM);
      for (int k = 0; k < kPerThread; ++k) {
        const unsigned d = t + unsigned(k * S::BLOCK);
        if (d < unsigned(VDIM))
          acc[k] += e * v[d];
      }
    }
    running_max = m;
    __syncthreads();
  }
  float *out = Op(a, 3) + u64(item) * unsigned(VDIM);
  for (int k = 0; k < kPerThread; ++k) {
    const unsigned d = t + unsigned(k * S::BLOCK);
    if (d < unsigned(VDIM))
      out[d] = count > 0 ? acc[k] / denom : 0.0f;
  }
}

} // namespace gk
