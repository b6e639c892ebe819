/**
 * What `start --demo` seeded (kept in <data-dir>/demo.json, which also marks the data directory as
 * seeded so a second `start --demo` does not seed again), and the lines printed about it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Address } from 'viem';
import { readJson } from '../dataDir.ts';

/** The demo accounts' keystores use this published passphrase: they hold only synthetic data. */
export const DEMO_PASSPHRASE = 'medchain demo';

export type DemoGrantState = 'live' | 'expiring-soon' | 'expired' | 'revoked' | 'upcoming' | 'requested';

export interface DemoLogin { who: string; address: Address; file: string; passphrase: string }
export interface DemoSummary {
  seededAt: string; seconds: number; patients: number; records: number;
  grants: Record<DemoGrantState, number>;
  breakGlass: { patient: Address; provider: Address };
  logins: DemoLogin[];
  /** The approved demo study the patients with demo logins joined (absent on deployments without Studies). */
  study?: { studyId: number; participants: number; runs: number };
}

export const demoMarker = (dataDir: string) => join(dataDir, 'demo.json');

export function readDemoSummary(dataDir: string): DemoSummary | undefined {
  return existsSync(demoMarker(dataDir)) ? readJson<DemoSummary>(demoMarker(dataDir)) : undefined;
}

/** The lines `start --demo` prints at the end. */
export function demoLoginLines(summary: DemoSummary): string[] {
  return [
    `Demo hospital: ${summary.patients} patients, ${summary.records} records, grants ${Object.entries(summary.grants).map(([k, v]) => `${v} ${k}`).join(', ')}; break-glass by ${summary.breakGlass.provider} on ${summary.breakGlass.patient}.`,
    ...(summary.study ? [`Research: study ${summary.study.studyId} approved, ${summary.study.participants} patients take part, ${summary.study.runs} runs (log in as the researcher or a patient, or: medchain study show ${summary.study.studyId}).`] : []),
    `Demo logins (key files for the web UI's "import a key backup" or --key; passphrase "${DEMO_PASSPHRASE}"):`,
    ...summary.logins.map((l) => `  ${l.who.padEnd(32)} ${l.address}  ${l.file}`),
  ];
}
