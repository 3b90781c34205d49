// The learned noise schedule evaluated in float64 on the JS side, from the flat parameters:
// for logs and reports, and at export, where it fixes the coding constants.

import type { ModelConfig } from './architecture.ts';
import { paramLayout, view } from './params.ts';

/** γ_0..γ_T = γ_min + (γ_max − γ_min)·cumsum(softmax(logits)), as in the training graph. */
export function gammaValues(config: ModelConfig, params: Float32Array): Float64Array {
  const layout = paramLayout(config);
  const logits = view(params, layout.byName.get('gamma.logits')!);
  const [gammaMin, gammaMax] = view(params, layout.byName.get('gamma.ends')!);
  let peak = -Infinity;
  for (const l of logits) peak = Math.max(peak, l);
  const weights = Array.from(logits, (l) => Math.exp(l - peak));
  const total = weights.reduce((a, b) => a + b, 0);
  const gamma = new Float64Array(config.T + 1);
  gamma[0] = gammaMin;
  let cumulative = 0;
  for (let i = 1; i <= config.T; i++) {
    cumulative += weights[i - 1];
    gamma[i] = gammaMin + (gammaMax - gammaMin) * (cumulative / total);
  }
  return gamma;
}
