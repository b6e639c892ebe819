/**
 * A patient's export: a FHIR R4 `collection` Bundle (R4 §Bundle) of decrypted record versions,
 * each entry's fullUrl naming the record and version (`urn:medchain:record:<id>:v<n>`).
 */
export function collectionBundle(resources: Array<{ recordId: string; version: number; resource: unknown }>, timestamp = new Date()): Record<string, unknown> {
  return {
    resourceType: 'Bundle', type: 'collection', timestamp: timestamp.toISOString(),
    entry: resources.map((r) => ({ fullUrl: `urn:medchain:record:${r.recordId}:v${r.version}`, resource: r.resource })),
  };
}
