#version 450
// Mixture-of-experts routing, one thread per row: the TOP_K experts of the
// row's router logits (operand 0, [N, EXPERTS]; ties to the lower index),
// their softmax renormalized over them times the expert's scale (the
// weight). Writes the expert ids (as int bits, operand 1) and weights
// (operand 2), [N, TOP_K] each.
#include "common.glsl"
#define N I0
#define EXPERTS I1
#define TOP_K I2

const int kMaxTopK = 16;

void main() {
  uint r = ThreadIndex();
  if (r >= uint(N))
    return;
  uint base = r * uint(EXPERTS);
  int chosen[kMaxTopK];
  float top = -1.0 / 0.0;
  for (int e = 0; e < EXPERTS; ++e)
    top = max(top, LD(0, base + uint(e)));
  float sum = 0.0;
  for (int k = 0; k < TOP_K; ++k) {
    int best = -1;
    float best_logit = -1.0 / 0.0;
    for (int e = 0; e < EXPERTS; ++e) {
      bool taken = false;
      for (int j = 0; j < k; ++j)
        taken = taken || chosen[j] == e;
      float l = LD(0, base + uint(e));
      if (!taken && (best < 0 || l > best_logit)) {
        best = e;
        best_logit = l;
      }
    }
    chosen[k] = best;
    sum += exp(best_logit - top);
  }
  for (int k = 0; k < TOP_K; ++k) {
    int e = chosen[k];
    float p = exp(LD(0, base + uint(e)) - top) / sum;
    ST(1, r * uint(TOP_K) + uint(k), intBitsToFloat(e));
    ST(2, r * uint(TOP_K) + uint(k), p * W(uint(e)) * pc.wscale);
  }
}
