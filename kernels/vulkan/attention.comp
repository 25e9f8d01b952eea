#version 450
// Fused attention, one workgroup per (row, head): the softmax over the
// positions the mask keeps (causal, within WINDOW when > 0, still in the
// ring of SLOTS) of SCALE * q . k (soft-capped when CAP > 0), times the
// values. Online softmax over chunks of the workgroup's size: scores are
// never stored beyond one chunk. Each thread owns value dimensions
// t, t + size, ... Operands: 0 q [ROWS, HEADS, DIM], 1 keys [BATCH, SLOTS,
// KV, DIM], 2 values [BATCH, SLOTS, KV, VDIM], 3 out [ROWS, HEADS, VDIM].
#include "common.glsl"
#define ROWS I0
#define HEADS I1
#define DIM I2
#define BATCH I3
#define SLOTS I4
#define KV I5
#define VDIM I6
#define WINDOW I7
#define SCALE F0
#define CAP F1

const uint kMaxPerThread = 8u; // VDIM <= 8 * workgroup size
shared float score[256];

void main() {
  uint item = GroupIndex(), t = gl_LocalInvocationID.x;
  uint size = gl_WorkGroupSize.x;
  if (item >= uint(ROWS * HEADS))
    return;
  uint r = item / uint(HEADS), h = item % uint(HEADS);
  uint g = h / uint(HEADS / KV);
  uint b = BATCH == 1 ? 0u : r;
  int p = positions[r];
  int first = max(0, p - SLOTS + 1);
  if (WINDOW > 0)
    first = max(first, p - WINDOW + 1);
  int count = p - first + 1;
  float acc[kMaxPerThread];
  for (uint k = 0u; k < kMaxPerThread; ++k)
    acc[k] = 0.0;
  float running_max = -1.0 / 0.0, denom = 0.0;
  uint qbase = item * uint(DIM);
  for (int chunk = 0; chunk < count; chunk += int(size)) {
    int pos = first + chunk + int(t);
    float z = -1.0 / 0.0;
    if (chunk + int(t) < count) {
      uint slot = uint(pos) % uint(SLOTS);
      uint kbase = ((b * uint(SLOTS) + slot) * uint(KV) + g) * uint(DIM);
      float dot = 0.0;
      for (uint i = 0u; i < uint(DIM); ++i)
        dot += LD(0, qbase + i) * LD(1, kbase + i);
      z = SCALE * dot;
      if (CAP > 0.0)
        z = ApplyUnary(kUnarySoftcap, z, CAP);
    }
    score[t] = z;
    barrier();
    int n = min(int(size), count - chunk);
    float m = running_max;
    for (int j = 0; j < n; ++j)
      m = max(m, score[j]);
    float rescale = exp(running_max - m);
    denom *= rescale;
    for (uint k = 0u; k < kMaxPerThread; ++k)
      acc[k] *= rescale;
    for (int j = 0; j < n; ++j) {
      float e = exp(score[j] - m);
      denom += e;
      uint slot = uint(first + chunk + j) % uint(SLOTS);
      uint vbase = ((b * uint(SLOTS) + slot) * uint(KV) + g) * uint(VDIM);
      for (uint k = 0u; k < kMaxPerThread; ++k) {
        uint d = t + k * size;
        if (d < uint(VDIM))
          acc[k] += e * LD(2, vbase + d);
      }
    }
    running_max = m;
    barrier();
  }
  for (uint k = 0u; k < kMaxPerThread; ++k) {
    uint d = t + k * size;
    if (d < uint(VDIM))
      ST(3, item * uint(VDIM) + d, count > 0 ? acc[k] / denom : 0.0);
  }
}
