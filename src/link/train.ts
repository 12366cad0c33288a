/**
 * Fits the link model's weights on labelled candidate pairs: logistic regression by Newton's method with a
 * small L2 penalty. Labels come from a sim world's ground truth (never the evaluation seed) and, optionally,
 * from analysts' decisions ('must' = 1, 'cannot' = 0), which count `decisionWeight` times.
 */
import { FEATURES, sigmoid, type FeatureName, type LinkModel } from './model.ts';

export interface LabelledPair {
  x: Float64Array;
  y: 0 | 1;
  weight?: number;
}

export interface FitOptions {
  l2?: number;
  iterations?: number;
  /** The threshold is the lowest score whose pairs reach this precision on the training pairs (default 0.98). */
  targetPrecision?: number;
}

function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i] as number]);
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs((m[r] as number[])[c] as number) > Math.abs((m[piv] as number[])[c] as number)) piv = r;
    [m[c], m[piv]] = [m[piv] as number[], m[c] as number[]];
    const d = (m[c] as number[])[c] as number;
    if (Math.abs(d) < 1e-12) continue;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = ((m[r] as number[])[c] as number) / d;
      if (f === 0) continue;
      for (let k = c; k <= n; k++) (m[r] as number[])[k] = ((m[r] as number[])[k] as number) - f * ((m[c] as number[])[k] as number);
    }
  }
  return m.map((row, i) => { const d = row[i] as number; return Math.abs(d) < 1e-12 ? 0 : (row[n] as number) / d; });
}

export function fitLogistic(data: LabelledPair[], opts: FitOptions = {}): { bias: number; weights: Record<FeatureName, number>; threshold: number; logLoss: number } {
  const d = FEATURES.length + 1;
  const l2 = opts.l2 ?? 1;
  let w = new Array<number>(d).fill(0);
  const row = (p: LabelledPair, i: number) => (i === 0 ? 1 : (p.x[i - 1] as number));
  for (let it = 0; it < (opts.iterations ?? 25); it++) {
    const g = new Array<number>(d).fill(0);
    const h = Array.from({ length: d }, () => new Array<number>(d).fill(0));
    for (const p of data) {
      let z = 0;
      for (let i = 0; i < d; i++) z += (w[i] as number) * row(p, i);
      const q = sigmoid(z);
      const c = p.weight ?? 1;
      const s = c * Math.max(q * (1 - q), 1e-9);
      for (let i = 0; i < d; i++) {
        const xi = row(p, i);
        if (xi === 0) continue;
        g[i] = (g[i] as number) + c * (q - p.y) * xi;
        const hi = h[i] as number[];
        for (let j = 0; j < d; j++) hi[j] = (hi[j] as number) + s * xi * row(p, j);
      }
    }
    for (let i = 1; i < d; i++) { g[i] = (g[i] as number) + l2 * (w[i] as number); (h[i] as number[])[i] = ((h[i] as number[])[i] as number) + l2; }
    const step = solve(h, g);
    w = w.map((v, i) => v - (step[i] as number));
    if (step.reduce((s, v) => s + Math.abs(v), 0) < 1e-6) break;
  }
  const scored = data.map((p) => {
    let z = 0;
    for (let i = 0; i < d; i++) z += (w[i] as number) * row(p, i);
    return { p: sigmoid(z), y: p.y };
  });
  let loss = 0;
  for (const s of scored) loss -= Math.log(Math.max(1e-12, s.y ? s.p : 1 - s.p));
  scored.sort((a, b) => b.p - a.p);
  const target = opts.targetPrecision ?? 0.98;
  let tp = 0;
  let threshold = 0.5;
  for (let i = 0; i < scored.length; i++) {
    const s = scored[i] as { p: number; y: number };
    tp += s.y;
    if (tp / (i + 1) >= target && s.p >= 0.3) threshold = s.p;
    else if (tp / (i + 1) < target - 0.02) break;
  }
  const weights = Object.fromEntries(FEATURES.map((f, i) => [f, Math.round((w[i + 1] as number) * 1e4) / 1e4])) as Record<FeatureName, number>;
  return { bias: Math.round((w[0] as number) * 1e4) / 1e4, weights, threshold: Math.max(0.5, Math.round(threshold * 1e4) / 1e4),
    logLoss: loss / Math.max(1, data.length) };
}

export function modelFrom(fit: ReturnType<typeof fitLogistic>, version: string, trainedOn: LinkModel['trainedOn']): LinkModel {
  return { version, trainedOn, bias: fit.bias, weights: fit.weights, threshold: fit.threshold };
}
