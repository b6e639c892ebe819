/**
 * What a computation reads from a patient's FHIR resources: Observations and Conditions whose
 * `code.coding` matches the declared code (the chain names it as keccak256("system|code"), see
 * sdk/studies.ts `studyCode`), within a date window. One patient contributes one value: their
 * latest Observation.valueQuantity in the window (FHIR R4 Observation.effective[x], else issued);
 * a Condition (onset[x], else recordedDate) counts as presence.
 */
import type { Hex } from 'viem';
import { studyCode } from '../../sdk/studies.ts';

type Json = Record<string, unknown>;

export interface DateWindow { from?: number; to?: number }

function codesOf(resource: Json): Hex[] {
  const coding = ((resource.code as Json | undefined)?.coding ?? []) as Json[];
  return coding.filter((c) => typeof c.system === 'string' && typeof c.code === 'string').map((c) => studyCode(c.system as string, c.code as string));
}

function timeOf(resource: Json): number | undefined {
  const r = resource;
  const candidates = r.resourceType === 'Condition'
    ? [r.onsetDateTime, (r.onsetPeriod as Json | undefined)?.start, r.recordedDate]
    : [r.effectiveDateTime, (r.effectivePeriod as Json | undefined)?.start, r.effectiveInstant, r.issued];
  for (const c of candidates) {
    if (typeof c !== 'string') continue;
    const t = Date.parse(c);
    if (Number.isFinite(t)) return t;
  }
  return undefined;
}

/** One patient's input for a computation over `code` (and `codeY`) from their resources. */
export function patientInput(resources: Json[], code: Hex, codeY: Hex | undefined, window: DateWindow): { present: boolean; x?: number; y?: number } {
  const inWindow = (t: number | undefined) => (window.from === undefined || (t !== undefined && t >= window.from)) && (window.to === undefined || (t !== undefined && t < window.to));
  const latest = (wanted: Hex) => {
    let best: { t: number; v: number } | undefined;
    let present = false;
    for (const r of resources) {
      if ((r.resourceType !== 'Observation' && r.resourceType !== 'Condition') || !codesOf(r).includes(wanted)) continue;
      const t = timeOf(r);
      if (!inWindow(t)) continue;
      present = true;
      const v = (r.valueQuantity as Json | undefined)?.value;
      if (r.resourceType === 'Observation' && typeof v === 'number' && Number.isFinite(v) && (!best || (t ?? 0) >= best.t)) best = { t: t ?? 0, v };
    }
    return { present, value: best?.v };
  };
  const x = latest(code.toLowerCase() as Hex);
  const y = codeY ? latest(codeY.toLowerCase() as Hex) : undefined;
  return { present: x.present, x: x.value, y: y?.value };
}
