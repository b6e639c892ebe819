/**
 * A patient's Observations over time, one line chart per code with two or more numeric values
 * (a wearable's heart rate, HbA1c every quarter), drawn with recharts; the reference range, when
 * the resources give one, is shaded.
 */
import { CartesianGrid, Line, LineChart, ReferenceArea, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { codeText } from './resourceView.tsx';

type R = Record<string, unknown>;
interface Point { t: number; value: number }
interface Series { key: string; title: string; unit: string; points: Point[]; low?: number; high?: number }

/** Groups numeric Observations by code (system|code, else the text). */
export function observationSeries(resources: R[]): Series[] {
  const byCode = new Map<string, Series>();
  for (const r of resources) {
    if (r.resourceType !== 'Observation') continue;
    const q = r.valueQuantity as { value?: number; unit?: string } | undefined;
    const when = Date.parse(String(r.effectiveDateTime ?? r.issued ?? ''));
    if (typeof q?.value !== 'number' || Number.isNaN(when)) continue;
    const coding = (r.code as { coding?: Array<{ system?: string; code?: string }> } | undefined)?.coding?.[0];
    const key = coding?.code ? `${coding.system ?? ''}|${coding.code}` : codeText(r.code);
    const range = (r.referenceRange as Array<{ low?: { value?: number }; high?: { value?: number } }> | undefined)?.[0];
    const series = byCode.get(key) ?? { key, title: codeText(r.code), unit: q.unit ?? '', points: [], low: range?.low?.value, high: range?.high?.value };
    series.points.push({ t: when, value: q.value });
    byCode.set(key, series);
  }
  return [...byCode.values()].filter((s) => s.points.length >= 2).map((s) => ({ ...s, points: s.points.sort((a, b) => a.t - b.t) }));
}

const dateLabel = (t: number) => new Date(t).toLocaleDateString(undefined, { year: '2-digit', month: 'short', day: 'numeric' });

export function ObservationCharts({ resources }: { resources: R[] }) {
  const series = observationSeries(resources);
  if (series.length === 0) return null;
  return (
    <div className="charts">{series.map((s) => (
      <figure key={s.key} className="chart" data-testid="observation-chart" aria-label={`${s.title} over time`}>
        <figcaption>{s.title}{s.unit ? ` (${s.unit})` : ''}: {s.points.length} values, latest {s.points[s.points.length - 1]!.value}{s.unit ? ` ${s.unit}` : ''}</figcaption>
        <ResponsiveContainer width="100%" height={220}>
          <LineChart data={s.points} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="t" type="number" scale="time" domain={['dataMin', 'dataMax']} tickFormatter={dateLabel} />
            <YAxis domain={['auto', 'auto']} width={48} />
            {s.low !== undefined || s.high !== undefined ? <ReferenceArea y1={s.low} y2={s.high} fill="#2e7d32" fillOpacity={0.08} /> : null}
            <Tooltip labelFormatter={(t) => dateLabel(Number(t))} formatter={(v) => [`${String(v)}${s.unit ? ` ${s.unit}` : ''}`, s.title]} />
            <Line type="monotone" dataKey="value" stroke="#1565c0" strokeWidth={2} dot={{ r: 3 }} isAnimationActive={false} />
          </LineChart>
        </ResponsiveContainer>
      </figure>
    ))}</div>
  );
}
