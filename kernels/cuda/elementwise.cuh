// Elementwise kernels, one thread per value: OP 0 add, 1 mul, 2 scale by
// FACTOR, 3 gelu_tanh(a) * b, 4 copy, 16 + f row f of the unary function
// table (kernels/common/UnaryFunctions.h) with parameter FACTOR.
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
    y = Gelu(x) * Op(a, 1)[i];
  else if (OP >= 16)
    y = gemma::ApplyUnary<float>(gemma::UnaryFn(OP - 16), x, FACTOR);
  else
    y = x;
  Op(a, 2)[i] = y;
}

} // namespace gk
