// Shared by every compute shader of the Vulkan backend (kernels/vulkan).
//
// One descriptor set for every dispatch: the program's arena, the token ids
// and positions, all weights of the model (as stored, 32-bit words), the
// sequence's KV caches, and per-program parameters (RoPE tables). Where an
// f32 operand lives (arena or caches) is a specialization constant, as are
// shapes and static parameters: each distinct call shape is one pipeline.
// Per-call offsets (in elements) come as push constants, so calls of one
// shape in different layers share their pipeline.


layout(local_size_x_id = 0) in;

layout(set = 0, binding = 0) buffer Arena { float arena[]; };
layout(set = 0, binding = 1) readonly buffer Ids { int ids[]; };
layout(set = 0, binding = 2) readonly buffer Positions { int positions[]; };
layout(set = 0, binding = 3) readonly buffer Weights { uint weights[]; };
layout(set = 0, binding = 4) buffer Caches { float caches[]; };
layout(set = 0, binding = 5) readonly buffer Params { float params[]; };

// Bit k: f32 operand k is in the caches buffer, not the arena.
layout(constant_id = 1) const uint IN_CACHE = 0u;
// The stored type of the call's weights: 0 f32, 1 bf16, 2 sfp.
layout(constant_id = 2) const uint WTYPE = 0u;
// Shapes and static parameters, named per shader with #defines.
layout(constant_id = 10) const int I0 = 0;
layout(constant_id = 11) const int I1 = 0;
layout(constant_id = 12) const int I2 = 0;
layout(constant_id = 13) const int I3 = 0;
layout(constant_id = 14) const int I4 = 0;
layout(constant_id = 15) const int I5 = 0;
layout(constant_id = 16) const int I6 = 0;
layout(constant_id = 17) const int I7 = 0;
layout(constant_id = 18) const int I8 = 0;
layout(constant_id = 19) const int I9 = 0;
layout(constant_id = 20) const int I10 = 0;
layout(constant_id = 21) const int I11 = 0;
layout(constant_id = 22) const int I12 = 0;
layout(constant_id = 23) const int I13 = 0;
layout(constant_id = 30) const float F0 = 0.0;
layout(constant_id = 31) const float F1 = 0.0;

layout(push_constant) uniform Offsets {
  uint off[6];  // element offsets of the f32 operands
  uint wbase;   // word offset of the weight tensor in `weights`
  float wscale; // the tensor's scale (SBS.md 5.7)
} pc;

float LD(uint k, uint i) {
  return ((IN_CACHE >> k) & 1u) != 0u ? caches[pc.off[k] + i]
                                      : arena[pc.off[k] + i];
}
void ST(uint k, uint i, float v) {
  if (((IN_CACHE >> k) & 1u) != 0u)
    caches[pc.off[k] + i] = v;
  else
    arena[pc.off[k] + i] = v;
}

// Element `i` of the call's weight tensor, decoded, before its scale.
// SFP codes decode through the 256-entry table at word 0 of `weights`.
float W(uint i) {
  if (WTYPE == 0u)
    return uintBitsToFloat(weights[pc.wbase + i]);
  if (WTYPE == 1u) {
    uint w = weights[pc.wbase + (i >> 1)];
    return uintBitsToFloat((i & 1u) != 0u ? (w & 0xFFFF0000u) : (w << 16));
  }
  uint w = weights[pc.wbase + (i >> 2)];
  return uintBitsToFloat(weights[(w >> (8u * (i & 3u))) & 0xFFu]);
}

// The linear index of a 1-D or 2-D dispatch (grids wider than the 65535
// groups one dimension allows fold into y).
uint GroupIndex() {
  return gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
}
uint ThreadIndex() {
  return GroupIndex() * gl_WorkGroupSize.x + gl_LocalInvocationID.x;
}
