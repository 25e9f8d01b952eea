// Elementwise kernels, one thread per value: OP 8 + f and 16 + f apply row
// f of the binary and unary function tables
// (kernels/common/ElementwiseFunctions.h), FACTOR the unary parameter; OP 1
// gelu_tanh(a) * b, 2 copy (runtime/plan/LowerCalls.h names them).
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
  if (OP >= 16)
    y = gemma::ApplyUnary<float>(gemma::UnaryFn(OP - 16), x, FACTOR);
  else if (OP >= 8)
    y = gemma::ApplyBinary<float>(gemma::BinaryFn(OP - 8), x, Op(a, 1)[i]);
  else if (OP == 1)
    y = Gelu(x) * Op(a, 1)[i];
  else
    y = x;
  Op(a, 2)[i] = y;
}

} // namespace gk
