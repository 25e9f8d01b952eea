// Attention as separate kernels (fusion off): scores, the window mask, the
// softmax, the values. Shapes as the fused kernel's (attention.cuh).
namespace gk {

// scores [ROWS, HEADS, SLOTS] = SCALE * q . k for every slot (operands 0 q,
// 1 keys, 2 scores), one thread per score.
template <class S> __device__ void AttnScores(const KernelArgs &a) {
  const int ROWS = S::I0, HEADS = S::I1, DIM = S::I2, BATCH = S::I3,
            SLOTS = S::I4, KV = S::I5;
  const unsigned g = ThreadIndex<S>();
  if (g >= unsigned(ROWS * HEADS * SLOTS))
    return;
  const unsigned slot = g % unsigned(SLOTS), item = g / unsigned(SLOTS);
  const unsigned r = item / unsigned(HEADS), h = item % unsigned(HEADS);
  const unsigned kv = h / unsigned(HEADS / KV), b = BATCH == 1 ? 0u : r;
  const float *q = Op(a, 0) + u64(item) * unsigned(DIM);
  const float *k =
      Op(a, 1) +
      ((u64(b) * unsigned(SLOTS) + slot) * unsigned(KV) + kv) * unsigned(DIM);
  float dot = 0.0f;
  for (int i = 0; i < DIM; ++i)
    dot += q[i] * k[i];
  Op(a, 2)[g] = S::F0 * dot;
}

// y = x with -inf where the slot's position is outside the causal window
// of the row's position (WINDOW 0: causal only). Operands: 0 x, 1 y
// [ROWS, HEADS, SLOTS].
template <class S> __device__ void WindowMask(const KernelArgs &a) {
  const int ROWS = S::I0, HEADS = S::I1, SLOTS = S::I2, WINDOW = S::I3;
  const unsigned g = ThreadIndex<S>();
  if (g >= unsigned(ROWS * HEADS * SLOTS))
    return;
  const int slot = int(g % unsigned(SLOTS));
  const unsigned r = g / unsigned(SLOTS * HEADS);
  const int p = Positions(a)[r];
  const int j = p - (((p - slot) % SLOTS) + SLOTS) % SLOTS;
  const bool keep = j >= 0 && j <= p && (WINDOW <= 0 || j > p - WINDOW);
  Op(a, 1)[g] = keep ? Op(a, 0)[g] : -Inf();
}

// One block per row of WIDTH (ROWS rows): y = softmax(x). Operands: 0 x,
// 1 y.
template <class S> __device__ void Softmax(const KernelArgs &a) {
  const int WIDTH = S::I0, ROWS = S::I1;
  __shared__ float scratch[32];
  const unsigned row = BlockIndex();
  if (row >= unsigned(ROWS))
    return;
  const float *x = Op(a, 0) + u64(row) * unsigned(WIDTH);
  float *y = Op(a, 1) + u64(row) * unsigned(WIDTH);
  float m = -Inf();
  for (int i = int(threadIdx.x); i < WIDTH; i += S::BLOCK)
    m = fmaxf(m, x[i]);
  m = BlockReduce<S>(m, true, scratch);
  float sum = 0.0f;
  for (int i = int(threadIdx.x); i < WIDTH; i += S::BLOCK)
    sum += expf(x[i] - m);
  const float inv = 1.0f / BlockReduce<S>(sum, false, scratch);
  for (int i = int(threadIdx.x); i < WIDTH; i += S::BLOCK)
    y[i] = expf(x[i] - m) * inv;
}

// out [ROWS, HEADS, VDIM] = probs [ROWS, HEADS, SLOTS] . values [BATCH,
// SLOTS, KV, VDIM] (operands 0 probs, 1 values, 2 out), one thread per
// output.
template <class S> __device__ void AttnValues(const KernelArgs &a) {
  const int ROWS = S::I0, HEADS = S::I1, BATCH = S::I3, SLOTS = S::I4,
            KV = S::I5, VDIM = S::I6;
  const unsigned g = ThreadIndex<S>();
  if (g >= unsigned(ROWS * HEADS * VDIM))
    return;
  const unsigned d = g % unsigned(VDIM), item = g / unsigned(VDIM);
  const unsigned r = item / unsigned(HEADS), h = item % unsigned(HEADS);
  const unsigned kv = h / unsigned(HEADS / KV), b = BATCH == 1 ? 0u : r;
  const float *probs = Op(a, 0) + u64(item) * unsigned(SLOTS);
  float sum = 0.0f;
  for (int slot = 0; slot < SLOTS; ++slot) {
    const float p = probs[slot];
    if (p != 0.0f)
      sum +=
          p *
          Op(a, 1)[((u64(b) * unsigned(SLOTS) + unsigned(slot)) * unsigned(KV) +
                    kv) *
                       unsigned(VDIM) +
                   d];
  }
  Op(a, 2)[g] = sum;
}

} // namespace gk
