// Activations and their ratios Phi(z) = act(z) / z in closed form (docs/TENSORLENS.md section 2), never
// as a division, so they are smooth at z = 0 and finite for large |z|.
#ifndef TL_ACTIVATION_COMMON_GLSL
#define TL_ACTIVATION_COMMON_GLSL

// erfc with fractional error < 1.2e-7 everywhere (Numerical Recipes' Chebyshev fit, erfcc).
float tl_erfc(float x) {
  const float z = abs(x);
  const float t = 1.0 / (1.0 + 0.5 * z);
  const float r = t * exp(-z * z - 1.26551223 +
                          t * (1.00002368 +
                          t * (0.37409196 +
                          t * (0.09678418 +
                          t * (-0.18628806 +
                          t * (0.27886807 +
                          t * (-1.13520398 +
                          t * (1.48851587 +
                          t * (-0.82215223 +
                          t * 0.17087277)))))))));
  return x >= 0.0 ? r : 2.0 - r;
}

float tl_sigmoid(float x) { return 1.0 / (1.0 + exp(-x)); }

float activation_ratio(uint kind, float z) {
  if (kind == TL_ACT_GELU_ERF) return 0.5 * tl_erfc(-z * 0.70710678118654752);  // 0.5 (1 + erf(z/sqrt2))
  if (kind == TL_ACT_GELU_TANH) {
    // 0.5 (1 + tanh(u)) = sigmoid(2u), u = sqrt(2/pi) (z + 0.044715 z^3)
    const float u = 0.79788456080286536 * (z + 0.044715 * z * z * z);
    return tl_sigmoid(2.0 * u);
  }
  if (kind == TL_ACT_SILU) return tl_sigmoid(z);
  if (kind == TL_ACT_RELU) return z > 0.0 ? 1.0 : 0.0;
  // tanh(z) / z: a series near 0, else tanh written through exp of a non-positive argument.
  const float a = abs(z);
  if (a < 0.1) {
    const float z2 = z * z;
    return 1.0 + z2 * (-1.0 / 3.0 + z2 * (2.0 / 15.0 - z2 * (17.0 / 315.0)));
  }
  const float e = exp(-2.0 * a);
  return ((1.0 - e) / (1.0 + e)) / a;
}

float activation_value(uint kind, float z) {
  if (kind == TL_ACT_RELU) return max(z, 0.0);
  return z * activation_ratio(kind, z);
}

#endif
