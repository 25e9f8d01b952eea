// Fused attention, one block per (row, head): the softmax over the
// positions the mask keeps (causal, within WINDOW when > 0, still in the
// ring of SLOTS) of SCALE * q . k (soft-capped when CAP > 0), times the
// values. An online softmax over chunks of BLOCK positions: a chunk's
// scores live in shared memory, never the whole row. Each thread owns
// value dimensions t, t + BLOCK, ... Operands: 0 q [ROWS, HEADS, DIM],
// 1 keys [BATCH, SLOTS, KV, DIM], 2 values [BATCH, SLOTS, KV, VDIM], 3 out
// [ROWS, HEADS, VDIM].
namespace gk {

// The largest value head: 4 dimensions per thread of a 128-thread block
// (the runtime checks).
constexpr int kMaxValuesPerThread = 4;

// What a block has attended to so far: the running maximum of the scores,
// the denominator, and its threads' unnormalized value sums.
struct Attended {
  float max, denom;
  float acc[kMaxValuesPerThread];
};

// Item (row, head)'s positions [begin, begin + count) folded into `out` by
// the online softmax.
template <class S>
__device__ __forceinline__ void Attend(const KernelArgs &a, unsigned item,
                                       int begin, int count, Attended &out) {
  const int HEADS = S::I1, DIM = S::I2, BATCH = S::I3, SLOTS = S::I4,
            KV = S::I5, VDIM = S::I6;
  const float SCALE = S::F0, CAP = S::F1;
  const int kPerThread = (VDIM + S::BLOCK - 1) / S::BLOCK;
  __shared__ float score[256]; // BLOCK <= 256 (the runtime checks)
  __shared__ float scratch[32];
  const unsigned t = threadIdx.x;
  const unsigned r = item / unsigned(HEADS), h = item % unsigned(HEADS);
  const unsigned g = h / unsigned(HEADS / KV);
  const unsigned b = BATCH == 1 ? 0u : r;
  const float *q = Op(a, 0) + u64(item) * unsigned(DIM);
  const float *keys = Op(a, 1), *values = Op(a, 2);
  out.max = -Inf();
  out.denom = 0.0f;
  for (int k = 0; k < kMaxValuesPerThread; ++k)
    out.acc[k] = 0.0f;
  for (int chunk = 0; chunk < count; chunk += S::BLOCK) {
    float z = -Inf();
    if (chunk + int(t) < count) {
      const unsigned slot = unsigned(begin + chunk + int(t)) % unsigned(SLOTS);
      const float *k =
          keys + ((u64(b) * unsigned(SLOTS) + slot) * unsigned(KV) + g) *
                     unsigned(DIM);
      float dot = 0.0f;
      for (int i = 0; i < DIM; ++i)
        dot += q[i] * k[i];
      z = SCALE * dot;
      if (CAP > 0.0f)
        z = Softcap(z, CAP);
    }
    score[t] = z;
    const float m = fmaxf(out.max, BlockReduce<S>(z, true, scratch));
    const int n = Min(S::BLOCK, count - chunk);
    const float rescale = expf(out.max - m);
    out.denom *= rescale;
    for (int k = 0; k < kMaxValuesPerThread; ++k)
      out.acc[k] *= rescale;
    for (int j = 0; j < n; ++j) {
      const float e = expf(score[j] - m);
      out.denom += e;
      const unsigned slot = unsigned(begin + chunk + j) % unsigned(SLOTS);
      const float *v =
          values + ((u64(b) * unsigned(SLOTS) + slot) * unsigned(KV) + g) *
                       unsigned(VDIM);
      for (int k = 0; k < kPerThread; ++k) {
        const unsigned d = t + unsigned(k * S::BLOCK);
        if (d < unsigned(VDIM))
          out.acc[k] += e * v[d];
      }
    }
    out.max = m;
    __syncthreads();
  }
}

// The first position row r attends to, and how many.
template <class S>
__device__ __forceinline__ void Window(const KernelArgs &a, unsigned r,
                                       int &first, int &count) {
  const int SLOTS = S::I4, WINDOW = S::I7;
  const int p = Positions(a)[r];
  first = Max(0, p - SLOTS + 1);
  if (WINDOW > 0)
    first = Max(first, p - WINDOW + 1);
  count = p - first + 1;
}

template <class S> __device__ void Attention(const KernelArgs &a) {
  const int ROWS = S::I0, HEADS = S::I1, VDIM = S::I6;
  const int kPerThread = (VDIM + S::BLOCK - 1) / S::BLOCK;
  const unsigned item = BlockIndex(), t = threadIdx.x;
  if (item >= unsigned(ROWS * HEADS))
    return;
  int first, count;
  Window<S>(a, item / unsigned(HEADS), first, count);
  Attended done;
  Attend<S>(a, item, first, count, done);
  float *out = Op(a, 3) + u64(item) * unsigned(VDIM);
  for (int k = 0; k < kPerThread; ++k) {
    const unsigned d = t + unsigned(k * S::BLOCK);
    if (d < unsigned(VDIM))
      out[d] = count > 0 ? done.acc[k] / done.denom : 0.0f;
  }
}

// Decode attention split over positions (flash-decoding): with few rows and
// heads the fused kernel's one block per (row, head) leaves most of a GPU
// idle on a long context. Block (item, s) of SPLITS takes the s-th share of
// the row's positions and writes its running max, denominator and
// unnormalized values to scratch (operand 3: [ROWS * HEADS * SPLITS, 2 +
// VDIM]); AttentionCombine merges the shares. Shapes as Attention's, SPLITS
// in I8.
template <class S> __device__ void AttentionSplit(const KernelArgs &a) {
  const int ROWS = S::I0, HEADS = S::I1, VDIM = S::I6, SPLITS = S::I8;
  const int kPerThread = (VDIM + S::BLOCK - 1) / S::BLOCK;
  const unsigned block = BlockIndex(), t = threadIdx.x;
  if (block >= unsigned(ROWS * HEADS * SPLITS))
    return;
  const unsigned item = block / unsigned(SPLITS);
  const int split = int(block % unsigned(SPLITS));
  int first, all;
  Window<S>(a, item / unsigned(HEADS), first, all);
  const int share = (all + SPLITS - 1) / SPLITS;
  const int begin = first + split * share;
  const int count = Max(0, Min(share, first + all - begin));
  Attended done;
  Attend<S>(a, item, begin, count, done);
  float *part = Op(a, 3) + u64(block) * unsigned(2 + VDIM);
  if (t == 0u) {
    part[0] = done.max;
    part[1] = done.denom;
  }
  for (int k = 0; k < kPerThread; ++k) {
    const unsigned d = t + unsigned(k * S::BLOCK);
    if (d < unsigned(VDIM))
      part[2 + d] = done.acc[k];
  }
}

// One block per (row, head): the SPLITS shares (operand 0, as
// AttentionSplit wrote them) rescaled to their common maximum and summed,
// divided by the total denominator, into out (operand 1 [ROWS, HEADS,
// VDIM]).
template <class S> __device__ void AttentionCombine(const KernelArgs &a) {
  const int ROWS = S::I0, HEADS = S::I1, VDIM = S::I6, SPLITS = S::I8;
  const unsigned item = BlockIndex();
  if (item >= unsigned(ROWS * HEADS))
    return;
  const float *parts = Op(a, 0) + u64(item) * unsigned(SPLITS * (2 + VDIM));
  float top = -Inf();
  for (int s = 0; s < SPLITS; ++s)
    if (parts[s * (2 + VDIM) + 1] > 0.0f)
      top = fmaxf(top, parts[s * (2 + VDIM)]);
  float denom = 0.0f;
  for (int s = 0; s < SPLITS; ++s) {
    const float *part = parts + s * (2 + VDIM);
    if (part[1] > 0.0f)
      denom += part[1] * expf(part[0] - top);
  }
  float *out = Op(a, 1) + u64(item) * unsigned(VDIM);
  for (int d = int(threadIdx.x); d < VDIM; d += S::BLOCK) {
    float sum = 0.0f;
    for (int s = 0; s < SPLITS; ++s) {
      const float *part = parts + s * (2 + VDIM);
      if (part[1] > 0.0f)
        sum += part[2 + d] * expf(part[0] - top);
    }
    out[d] = denom > 0.0f ? sum / denom : 0.0f;
  }
}

} // namespace gk
