// out[r, i] = table[ids[r], FIRST + i] * tensor scale * SCALE (operand 0
// out [N, WIDTH]; the table has COLS columns), one thread per value.
namespace gk {

template <class S> __device__ void Embed(const KernelArgs &a) {
  const int N = S::I0, WIDTH = S::I1, FIRST = S::I2, COLS = S::I3;
  const float SCALE = S::F0;
  const unsigned g = ThreadIndex<S>();
  if (g >= unsigned(N * WIDTH))
    return;
  const unsigned r = g / unsigned(WIDTH), i = g % unsigned(WIDTH);
  const u64 at = u64(Ids(a)[r]) * unsigned(COLS) + unsigned(FIRST) + i;
  Op(a, 0)[g] = W<S>(a, at) * a.wscale * SCALE;
}

} // namespace gk
