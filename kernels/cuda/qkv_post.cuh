// What follows the Q, K and V projections, in one launch: one block per
// (row, head) of q, k and v together. A q or k head is RMS-normed (KIND >= 0:
// 0 no weight, 1 x * (1 + w), 2 x * w; the call's weight for q, its second
// for k), then RoPE'd (the first PAIRS pairs, half-split, angles from the
// params table at TABLE); a v head is RMS-normed without weight when VNORM.
// Each head is stored back in place, and k and v heads also into slot
// positions[r] mod SLOTS of their caches ([BATCH, SLOTS, heads * width];
// sequence 0 when BATCH == 1, else r). Operands: 0 q [N, HEADS, DIM], 1 k
// [N, KH, DIM], 2 v [N, VH, VD], 3 k cache, 4 v cache. The same arithmetic
// as norm.cuh, rope.cuh and kvwrite.cuh one after the other.
namespace gk {

template <class S> __device__ void QkvPost(const KernelArgs &a) {
  const int N = S::I0, HEADS = S::I1, DIM = S::I2, KH = S::I3, VH = S::I4,
            VD = S::I5, KIND = S::I6, VNORM = S::I7, PAIRS = S::I8,
            TABLE = S::I9, KB = S::I10, KS = S::I11, VB = S::I12, VS = S::I13;
  const float EPS = S::F0;
  __shared__ float head[512]; // DIM, VD <= 512 (the runtime checks)
  __shared__ float scratch[32];
  const int per_row = HEADS + KH + VH;
  const unsigned item = BlockIndex();
  if (item >= unsigned(N * per_row))
    return;
  const unsigned r = item / unsigned(per_row);
  const int h = int(item % unsigned(per_row));
  const int kind = h < HEADS + KH ? KIND : (VNORM ? 0 : -1);
  const int width = h < HEADS + KH ? DIM : VD;
  float *x =
      h < HEADS
          ? Op(a, 0) + (u64(r) * unsigned(HEADS) + unsigned(h)) * unsigned(DIM)
      : h < HEADS + KH
          ? Op(a, 1) +
                (u64(r) * unsigned(KH) + unsigned(h - HEADS)) * unsigned(DIM)
          : Op(a, 2) + (u64(r) * unsigned(VH) + unsigned(h - HEADS - KH)) *
                           unsigned(VD);
  for (int i = int(threadIdx.x); i < width; i += S::BLOCK)
    head[i] = x[i];
  if (kind >= 0) {
    float sum = 0.0f;
    for (int i = int(threadIdx.x); i < width; i += S::BLOCK)
      sum += head[i] * head[i];
    sum = BlockReduce<S>(sum, false, scratch);
    const float inv = rsqrtf(sum / float(width) + EPS);
    KernelArgs k_norm = a;
    k_norm.weight = a.weight2;
    k_norm.wscale = a.wscale2;
    const KernelArgs &norm = h < HEADS ? a : k_norm;
    for (int i = int(threadIdx.x); i < width; i += S::BLOCK) {
      float w = kind == 0 ? 1.0f : W<S>(norm, u64(i)) * norm.wscale;
      if (kind == 1)
        w += 1.0f;
      head[i] = head[i] * inv * w;
    }
  }
  __syncthreads();
  const int p = Positions(a)[r];
  if (h < HEADS + KH) {
    const int half = DIM / 2;
    const float *table = reinterpret_cast<const float *>(a.params) + TABLE;
    for (int i = int(threadIdx.x); i < half; i += S::BLOCK)
      if (i < PAIRS) {
        const float theta = RopeAngle(table, p, unsigned(i));
        const float c = cosf(theta), s = sinf(theta);
        const float x0 = head[i], x1 = head[i + half];
        head[i] = x0 * c - x1 * s;
        head[i + half] = x1 * c + x0 * s;
      }
    __syncthreads();
  }
  for (int i = int(threadIdx.x); i < width; i += S::BLOCK)
    x[i] = head[i];
  if (h < HEADS)
    return;
  const bool is_k = h < HEADS + KH;
  const int batch = is_k ? KB : VB, slots = is_k ? KS : VS;
  const int heads = is_k ? KH : VH, index = is_k ? h - HEADS : h - HEADS - KH;
  const unsigned b = batch == 1 ? 0u : r;
  const unsigned slot = unsigned(p) % unsigned(slots);
  float *cache =
      Op(a, is_k ? 3 : 4) +
      ((u64(b) * unsigned(slots) + slot) * unsigned(heads) + unsigned(index)) *
          unsigned(width);
  for (int i = int(threadIdx.x); i < width; i += S::BLOCK)
    cache[i] = head[i];
}

} // namespace gk
