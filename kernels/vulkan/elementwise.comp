#version 450
// Elementwise kernels: OP 0 add, 1 mul, 2 scale by FACTOR, 3 gelu_tanh(a) *
// b, 4 copy, 16 + f row f of the unary function table
// (kernels/common/UnaryFunctions.h) with parameter FACTOR. Operands: 0 a,
// 1 b, 2 out (in place allowed).
#include "common.glsl"
#define OP I0
#define N I1
#define FACTOR F0

void main() {
  uint i = ThreadIndex();
  if (i >= uint(N))
    return;
  float a = LD(0, i), y;
  if (OP == 0)
    y = a + LD(1, i);
  else if (OP == 1)
    y = a * LD(1, i);
  else if (OP == 2)
    y = a * FACTOR;
  else if (OP == 3)
    y = ApplyUnary(kUnaryGeluTanh, a, 0.0) * LD(1, i);
  else if (OP >= 16)
    y = ApplyUnary(OP - 16, a, FACTOR);
  else
    y = a;
  ST(2, i, y);
}
