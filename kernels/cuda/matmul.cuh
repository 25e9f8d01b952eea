// y[n, o] = x[n, :] . w[row(o), :] * scale (operands 0 x, 1 y).
// row(o) walks up to four row ranges (all rows when there are none). With
// HEADS > 0 the weight is head-major [HEADS * OUT, IN]: y[n, o] =
// sum_h x[n, h, :] . w[h * OUT + o, :]. CAP > 0 soft-caps (the logits).
// Y_STRIDE, when not 0, is y's row stride.
//
// One warp per output row (BLOCK / 32 rows per block): the lanes stride
// over the inner dimension, 8 weights per lane per step (one 16-byte load
// for bf16), and reduce with shuffles. Eight rows of x share each decoded
// weight, so prefill reads the weights N / 8 times, not N times.
namespace gk {

template <class S> __device__ __forceinline__ unsigned MatmulRow(unsigned o) {
  const int begins[4] = {S::I5, S::I7, S::I9, S::I11};
  const int ends[4] = {S::I6, S::I8, S::I10, S::I12};
  unsigned left = o;
  for (int r = 0; r < S::I4; ++r) {
    const unsigned len = unsigned(ends[r] - begins[r]);
    if (left < len)
      return unsigned(begins[r]) + left;
    left -= len;
  }
  return o;
}

template <class S> __device__ void Matmul(const KernelArgs &a) {
  const int N = S::I0, IN = S::I1, OUT = S::I2, HEADS = S::I3;
  const int Y_STRIDE = S::I13 > 0 ? S::I13 : S::I2;
  const float CAP = S::F0;
  const int kRowsPerBlock = S::BLOCK / 32, kX = 8;
  const unsigned lane = threadIdx.x % 32u;
  const unsigned o = BlockIndex() * kRowsPerBlock + threadIdx.x / 32u;
  if (o >= unsigned(OUT))
    return;
  const unsigned row = HEADS > 0 ? o : MatmulRow<S>(o);
  const unsigned inner = HEADS > 0 ? unsigned(HEADS * IN) : unsigned(IN);
  const float *x = Op(a, 0);
  float *y = Op(a, 1);
  for (int n0 = 0; n0 < N; n0 += kX) {
    float acc[kX];
    for (int j = 0; j < kX; ++j)
      acc[j] = 0.0f;
    if (IN % 8 == 0) {
      for (unsigned k = lane * 8u; k < inner; k += 256u) {
        const unsigned head = k / unsigned(IN), col = k % unsigned(IN);
        const unsigned wrow = HEADS > 0 ? head * unsigned(OUT) + o : row;
        float w[8];
        W8<S>(a, u64(wrow) * unsigned(IN) + col, w);
        for (int j = 0; j < kX; ++j) {
          if (n0 + j >= N)
            break;
          const float *xr = x + u64(n0 + j) * inner + k;
          float s = 0.0f;
          for (int e = 0; e < 8; ++e)
            s += xr[e] * w[e];
          acc[j] += s;
        }
      }
    } else {
      for (unsigned k = lane; k < inner; k += 32u) {
        const unsigned head = k / unsigned(IN), col = k % unsigned(IN);
        const unsigned wrow = HEADS > 0 ? head * unsigned(OUT) + o : row;
        const float w = W<S>(a, u64(wrow) * unsigned(IN) + col);
        for (int j = 0; j < kX; ++j)
          if (n0 + j < N)
            acc[j] += x[u64(n0 + j) * inner + k] * w;
      }
    }
    for (int j = 0; j < kX; ++j) {
      if (n0 + j >= N)
        break;
      float v = WarpSum(acc[j]) * a.wscale;
      if (CAP > 0.0f)
        v = Softcap(v, CAP);
      if (lane == 0u)
        y[u64(n0 + j) * unsigned(Y_STRIDE) + o] = v;
    }
  }
}

// GeGLU in one launch: y[n, o] = gelu(x[n, :] . gate[GATE + o, :] * scale)
// * (x[n, :] . up[UP + o, :] * scale2), gate the call's weight, up its
// second (same type and width); operands 0 x, 1 y. One warp per output row
// as Matmul, both rows decoded in the same pass over x.
template <class S> __device__ void MatmulGeglu(const KernelArgs &a) {
  const int N = S::I0, IN = S::I1, OUT = S::I2, GATE = S::I3, UP = S::I4;
  const int kRowsPerBlock = S::BLOCK / 32, kX = 4;
  const unsigned lane = threadIdx.x % 32u;
  const unsigned o = BlockIndex() * kRowsPerBlock + threadIdx.x / 32u;
  if (o >= unsigned(OUT))
    return;
  KernelArgs up = a;
  up.weight = a.weight2;
  const u64 gate_row = u64(unsigned(GATE) + o) * unsigned(IN);
  const u64 up_row = u64(unsigned(UP) + o) * unsigned(IN);
  const float *x = Op(a, 0);
  float *y = Op(a, 1);
  for (int n0 = 0; n0 < N; n0 += kX) {
    float g[kX], u[kX];
    for (int j = 0; j < kX; ++j)
      g[j] = u[j] = 0.0f;
    if (IN % 8 == 0) {
      for (unsigned k = lane * 8u; k < unsigned(IN); k += 256u) {
        float wg[8], wu[8];
        W8<S>(a, gate_row + k, wg);
        W8<S>(up, up_row + k, wu);
        for (int j = 0; j < kX; ++j) {
          if (n0 + j >= N)
            break;
          const float *xr = x + u64(n0 + j) * unsigned(IN) + k;
          for (int e = 0; e < 8; ++e) {
            g[j] += xr[e] * wg[e];
            u[j] += xr[e] * wu[e];
          }
        }
      }
    } else {
      for (unsigned k = lane; k < unsigned(IN); k += 32u) {
        const float wg = W<S>(a, gate_row + k), wu = W<S>(up, up_row + k);
        for (int j = 0; j < kX; ++j)
          if (n0 + j < N) {
            g[j] += x[u64(n0 + j) * unsigned(IN) + k] * wg;
            u[j] += x[u64(n0 + j) * unsigned(IN) + k] * wu;
          }
      }
    }
    for (int j = 0; j < kX; ++j) {
      if (n0 + j >= N)
        break;
      const float gv = WarpSum(g[j]) * a.wscale;
      const float uv = WarpSum(u[j]) * a.wscale2;
      if (lane == 0u)
        y[u64(n0 + j) * unsigned(OUT) + o] = Gelu(gv) * uv;
    }
  }
}

} // namespace gk
