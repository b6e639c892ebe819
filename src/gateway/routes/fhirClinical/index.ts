/**
 * FHIR R4 clinical resources at /fhir (Patient, Observation, Condition, DiagnosticReport,
 * MedicationRequest, AllergyIntolerance, Immunization, DocumentReference, Binary), for callers
 * whose keys the hospital holds (fhir/clinical.ts); Provenance from on-chain authorship for anyone
 * who may read the record. Resources are validated against the R4 definitions before anything is
 * written; errors are OperationOutcomes. A Patient's id is its account address (resources.ts).
 * One file per operation beside this one; this file only mounts them.
 *
 *   POST /fhir/{type}                      create (201, Location …/_history/1, ETag, Last-Modified, Prefer: return=)
 *   PUT  /fhir/{type}/{id}                 update (If-Match: W/"n"; stale → 412)
 *   GET  /fhir/{type}/{id}[/_history[/{vid}]]                       read, history, vread
 *   GET|POST /fhir/{type}[/_search]?…&_count=&_offset=              search (parameters: fhir/searchParams.ts)
 *   GET  /fhir/Patient/{address}/$everything                        everything the caller may see
 *   GET  /fhir/Provenance?target={type}/{id}   GET /fhir/Provenance/{tx}   who wrote each version, when, in which transaction
 *   POST /fhir (or /fhir/)                 Bundle: transaction (all validated and authorized before any write) or batch
 *   DELETE, PATCH → 405; conditional update / delete → 400
 */
import { Hono } from 'hono';
import type { GatewayEnv } from '../types.ts';
import { fhirClinicalContext, type FhirClinicalDeps } from './shared.ts';
import { bundle } from './bundle.ts';
import { create } from './create.ts';
import { everything } from './everything.ts';
import { history } from './history.ts';
import { readProvenance, searchProvenance } from './provenance.ts';
import { read } from './read.ts';
import { search } from './search.ts';
import { update } from './update.ts';
import { vread } from './vread.ts';
import { conditionalDelete, conditionalPatch, conditionalUpdate, methodNotAllowed } from './unsupported.ts';

export function fhirClinicalRoutes(deps: FhirClinicalDeps) {
  const app = new Hono<GatewayEnv>();
  const ctx = fhirClinicalContext(deps);
  const bundleHandler = bundle(ctx);

  // Order matters: Hono matches in registration order, so the fixed paths (Provenance,
  // $everything) come before `/:type` and `/:type/:id`.

  // fhir-kit-client and others post Bundles to the base URL with a trailing slash.
  app.use('*', async (c, next) => {
    if (c.req.method === 'POST' && c.req.path === '/fhir/') return bundleHandler(c);
    await next();
  });

  const provenanceSearch = searchProvenance(ctx);
  app.get('/Provenance', provenanceSearch);
  app.post('/Provenance/_search', provenanceSearch);
  app.get('/Provenance/:id', readProvenance(ctx));

  app.get('/Patient/:id/$everything', everything(ctx));

  const searchHandler = search(ctx);
  app.get('/:type', searchHandler);
  app.post('/:type/_search', searchHandler);

  app.get('/:type/:id', read(ctx));
  app.get('/:type/:id/_history', history(ctx));
  app.get('/:type/:id/_history/:vid', vread(ctx));

  app.post('/:type', create(ctx));
  app.put('/:type/:id', update(ctx));

  app.on(['DELETE', 'PATCH'], '/:type/:id', methodNotAllowed);
  app.delete('/:type', conditionalDelete);
  app.put('/:type', conditionalUpdate);
  app.patch('/:type', conditionalPatch);

  app.post('/', bundleHandler);

  return app;
}
