// Mixture of experts (Gemma 4): routing, then the routed experts' GeGLU
// halves. Shapes: N rows, D model width, EXPERTS, FF expert width, TOP_K.
namespace gk {

// One thread per row: the TOP_K experts of the row's router logits
// (operand 0 [N, EXPERTS]; ties to the lower index), their softmax
// renormalized over them times the expert's scale (the weight). Writes
// expert ids (int bits, operand 1) and weights (operand 2), [N, TOP_K].
template <class S> __device__ void MoeRoute(const KernelArgs &a) {
  const int N = S::I0, EXPERTS = S::I1, TOP_K = S::I2;
  const int kMaxTopK = 16; // the runtime checks
  const unsigned r = ThreadIndex<S>();
  if (r >= unsigned(N))
    return;
  const float *logits = Op(a, 0) + u64(r) * unsigned(EXPERTS);
  int chosen[kMaxTopK];
  float top = -Inf();
  for (int e = 0; e < EXPERTS; ++e)
    top = fmaxf(top, logits[e]);
  float sum = 0.0f;
  for (int k = 0; k < TOP_K; ++k) {
    int best = -1;
    float best_logit = -Inf();
    for (int e = 0; e < EXPERTS; ++e) {
      bool taken = false;
      for (int j = 0; j < k; ++j)
        taken = taken || chosen[j] == e;
      if (!taken && (best < 0 || logits[e] > best_logit)) {
        best = e;
        best_logit = logits[e];
      }
    }
    chosen[k] = best;
    sum += expf(best_logit - top);
  }
  for (int k = 0; k < TOP_K; ++k) {
    const int e = chosen[k];
    const float p = expf(logits[e] - top) / sum;
    Op(a, 1)[r * unsigned(TOP_K) + unsigned(k)] = __int_as_float(e);
    Op(a, 2)[r * unsigned(TOP_K) + unsigned(k)] =
        p * W<S>(a, u64(e)) * a.wscale;
  }
}

// For row r's k-th expert e and unit f: h[(r * TOP_K + k) * FF + f] =
// gelu(gate_e[f] . x_r) * (up_e[f] . x_r), gate_e[f] = row e * 2 FF + f of
// the weight, up_e[f] = row e * 2 FF + FF + f. One warp per output.
// Operands: 0 x [N, D], 1 expert ids [N, TOP_K], 2 h.
template <class S> __device__ void MoeUp(const KernelArgs &a) {
  const int N = S::I0, D = S::I1, FF = S::I3, TOP_K = S::I4;
  const unsigned lane = threadIdx.x % 32u;
  const unsigned o = BlockIndex() * unsigned(S::BLOCK / 32) + threadIdx.x / 32u;
  if (o >= unsigned(N * TOP_K * FF))
    return;
  const unsigned rk = o / unsigned(FF), f = o % unsigned(FF),
                 r = rk / unsigned(TOP_K);
  const unsigned e = unsigned(__float_as_int(Op(a, 1)[rk]));
  const u64 gate = (u64(e) * 2u * unsigned(FF) + f) * unsigned(D);
  const u64 up = gate + u64(FF) * unsigned(D);
  const float *x = Op(a, 0) + u64(r) * unsigned(D);
  float g = 0.0f, u = 0.0f;
  for (unsigned k = lane; k < unsigned(D); k += 32u) {
    g += x[k] * W<S>(a, gate + k);
    u += x[k] * W<S>(a, up + k);
  }
  g = WarpSum(g) * a.wscale;
  u = WarpSum(u) * a.wscale;
  if (lane == 0u)
    Op(a, 2)[o] = Gelu(g) * u;
}

// y[r, o] = sum_k weight[r, k] * (down_e[o] . h[r * TOP_K + k]), down_e[o]
// = row e * D + o of the weight. One warp per output. Operands: 0 h
// [N * TOP_K, FF], 1 expert ids, 2 expert weights [N, TOP_K], 3 y [N, D].
template <class S> __device__ void MoeDown(const KernelArgs &a) {
  const int N = S::I0, D = S::I1, FF = S::I3, TOP_K = S::I4;
  const unsigned lane = threadIdx.x % 32u;
  const unsigned out =
      BlockIndex() * unsigned(S::BLOCK / 32) + threadIdx.x / 32u;
  if (out >= unsigned(N * D))
    return;
  const unsigned r = out / unsigned(D), o = out % unsigned(D);
  float y = 0.0f;
  for (int k = 0; k < TOP_K; ++k) {
    const unsigned rk = r * unsigned(TOP_K) + unsigned(k);
    const unsigned e = unsigned(__float_as_int(Op(a, 1)[rk]));
    const u64 row = (u64(e) * unsigned(D) + o) * unsigned(FF);
    const float *h = Op(a, 0) + u64(rk) * unsigned(FF);
    float dot = 0.0f;
    for (unsigned j = lane; j < unsigned(FF); j += 32u)
      dot += h[j] * W<S>(a, row + j);
    y += Op(a, 2)[rk] * WarpSum(dot) * a.wscale;
  }
  if (lane == 0u)
    Op(a, 3)[out] = y;
}

} // namespace gk
