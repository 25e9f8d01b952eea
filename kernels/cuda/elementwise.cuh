// Elementwise kernels, one thread per value: OP 0 add, 1 mul, 2 scale by
// FACTOR, 3 soft-cap at FACTOR, 4 gelu_tanh, 5 gelu(a) * b, 6 copy.
// Operands: 0 a, 1 b, 2 out (in place allowed).
namespace gk {

template <class S> __device__ void Elementwise(const KernelArgs &a) {
  const int OP = S::I0, N = S::I1;
  const float FACTOR = S::F0;
  const unsigned i = ThreadIndex<S>();
  if (i >= unsigned(N))
    return;
  const float x = Op(a, 0)[i];
  float y;
  if (OP == 0)
    y = x + Op(a, 1)[i];
  else if (OP == 1)
    y = x * Op(a, 1)[i];
  else if (OP == 2)
    y = x * FACTOR;
  else if (OP == 3)
    y = FACTOR * tanhf(x / FACTOR);
  else if (OP == 4)
    y = Gelu(x);
  else if (OP == 5)
    y = Gelu(x) * Op(a, 1)[i];
  else
    y = x;
  Op(a, 2)[i] = y;
}

} // namespace gk
