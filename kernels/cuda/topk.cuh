// The K largest logits of each row, largest first, ties to the lowest id
// (the host's std::max_element and Sampler order): greedy decoding (K = 1)
// and top-k sampling on the device, so only K ids (and their logits) come
// back, not the whole vocabulary. One block per row of WIDTH (ROWS rows);
// round k takes the block-wide maximum of the values ranked after round
// k - 1's pick. Operands: 0 logits [ROWS, WIDTH], 1 ids (int bits)
// [ROWS, K], 2 their logits [ROWS, K].
namespace gk {

// Whether (v, i) ranks before (w, j): larger, or equal with a lower index.
__device__ __forceinline__ bool RanksBefore(float v, int i, float w, int j) {
  return j < 0 || (i >= 0 && (v > w || (v == w && i < j)));
}

template <class S> __device__ void TopK(const KernelArgs &a) {
  const int ROWS = S::I0, WIDTH = S::I1, K = S::I2;
  __shared__ float best_value[32];
  __shared__ int best_index[32];
  const unsigned row = BlockIndex(), lane = threadIdx.x % 32u,
                 warp = threadIdx.x / 32u;
  if (row >= unsigned(ROWS))
    return;
  const float *x = Op(a, 0) + u64(row) * unsigned(WIDTH);
  float prev_value = Inf();
  int prev_index = -1;
  for (int k = 0; k < K; ++k) {
    float value = -Inf();
    int index = -1;
    for (int i = int(threadIdx.x); i < WIDTH; i += S::BLOCK) {
      const float v = x[i];
      const bool after =
          k == 0 || v < prev_value || (v == prev_value && i > prev_index);
      if (after && v == v && RanksBefore(v, i, value, index)) {
        value = v;
        index = i;
      }
    }
    for (int m = 16; m > 0; m >>= 1) {
      const float v = __shfl_xor_sync(0xffffffffu, value, m);
      const int j = __shfl_xor_sync(0xffffffffu, index, m);
      if (RanksBefore(v, j, value, index)) {
        value = v;
        index = j;
      }
    }
    if (lane == 0u) {
      best_value[warp] = value;
      best_index[warp] = index;
    }
    __syncthreads();
    value = best_value[0];
    index = best_index[0];
    for (int w = 1; w < S::BLOCK / 32; ++w)
      if (RanksBefore(best_value[w], best_index[w], value, index)) {
        value = best_value[w];
        index = best_index[w];
      }
    __syncthreads();
    if (threadIdx.x == 0u) {
      Op(a, 1)[u64(row) * unsigned(K) + unsigned(k)] = __int_as_float(index);
      Op(a, 2)[u64(row) * unsigned(K) + unsigned(k)] = value;
    }
    prev_value = value;
    prev_index = index;
  }
}

} // namespace gk
