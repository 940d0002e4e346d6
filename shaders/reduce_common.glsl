// Workgroup reductions over a 1-D workgroup of TL_REDUCE_SIZE invocations (a power of two, equal
// to local_size_x). Every invocation must call them (they contain barriers). Tree order, so the
// rounding is that of pairwise summation.
#ifndef TL_REDUCE_COMMON_GLSL
#define TL_REDUCE_COMMON_GLSL

shared float tl_reduce_buf[TL_REDUCE_SIZE];

float workgroup_sum(float v) {
  const uint i = gl_LocalInvocationID.x;
  tl_reduce_buf[i] = v;
  barrier();
  for (uint s = TL_REDUCE_SIZE / 2; s > 0; s >>= 1) {
    if (i < s) tl_reduce_buf[i] += tl_reduce_buf[i + s];
    barrier();
  }
  const float total = tl_reduce_buf[0];
  barrier();  // the buffer is reused by the next call
  return total;
}

float workgroup_max(float v) {
  const uint i = gl_LocalInvocationID.x;
  tl_reduce_buf[i] = v;
  barrier();
  for (uint s = TL_REDUCE_SIZE / 2; s > 0; s >>= 1) {
    if (i < s) tl_reduce_buf[i] = max(tl_reduce_buf[i], tl_reduce_buf[i + s]);
    barrier();
  }
  const float m = tl_reduce_buf[0];
  barrier();
  return m;
}

#endif
