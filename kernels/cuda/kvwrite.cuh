// Row r of x [N, WIDTH] (operand 1) into slot positions[r] mod SLOTS of
// sequence (BATCH == 1 ? 0 : r) of the cache [BATCH, SLOTS, WIDTH]
// (operand 0), one thread per value.
namespace gk {

template <class S> __device__ void KvWrite(const KernelArgs &a) {
  const int BATCH = S::I0, SLOTS = S::I1, WIDTH = S::I2, N = S::I3;
  const unsigned g = ThreadIndex<S>();
  if (g >= unsigned(N * WIDTH))
    return;
  const unsigned r = g / unsigned(WIDTH), i = g % unsigned(WIDTH);
  const unsigned b = BATCH == 1 ? 0u : r;
  const unsigned slot = unsigned(Positions(a)[r]) % unsigned(SLOTS);
  Op(a, 0)[(u64(b) * unsigned(SLOTS) + slot) * unsigned(WIDTH) + i] =
      Op(a, 1)[g];
}

} // namespace gk
