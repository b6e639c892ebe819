export interface DemoSummary { seeded: boolean; patients: number }
