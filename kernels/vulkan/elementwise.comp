#version 450
// Elementwise kernels: OP 8 + f and 16 + f apply row f of the binary and
// unary function tables (kernels/common/ElementwiseFunctions.h), FACTOR the
// unary parameter; OP 1 gelu_tanh(a) * b, 2 copy (runtime/plan/LowerCalls.h
// names them). Operands: 0 a, 1 b, 2 out (in place allowed).
#include "common.glsl"
#define OP I0
#define N I1
#define FACTOR F0

void main() {
  uint i = ThreadIndex();
  if (i >= uint(N))
    return;
  float a = LD(0, i), y;
  if (OP >= 16)
    y = ApplyUnary(OP - 16, a, FACTOR);
  else if (OP >= 8)
    y = ApplyBinary(OP - 8, a, LD(1, i));
  else if (OP == 1)
    y = ApplyUnary(kUnaryGeluTanh, a, 0.0) * LD(1, i);
  else
    y = a;
  ST(2, i, y);
}
