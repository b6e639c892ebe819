/**
 * What a person sees when a decrypted record opens: each resource type the UI writes or receives,
 * rendered by the real component (web/src/resourceView.tsx) through react-dom/server, and read back
 * as the text a reader gets (tags stripped), not as FHIR JSON. Attachments: an image is previewed,
 * a PDF gets an inline preview frame, both keep a download link. (Object URLs are made after mount;
 * ui.records.test.ts checks in Chromium that the PDF frame shows a blob: URL.)
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { ResourceView, resourceTitle } from '../../web/src/resourceView.tsx';

type R = Record<string, unknown>;
const render = (resource: R) => renderToStaticMarkup(createElement(ResourceView, { resource }));
/** The text a reader sees: tags dropped, entities decoded, whitespace collapsed. */
const seen = (html: string) => html.replace(/<\/(dt|dd|p|div)>/g, ' ').replace(/<[^>]+>/g, '').replace(/&amp;/g, '&').replace(/&#x27;|&#39;/g, "'").replace(/&quot;/g, '"').replace(/\s+/g, ' ').trim();
const pair = (term: string, value: string) => new RegExp(`<dt>${term}</dt><dd>${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}</dd>`);

const codeable = (text: string, code = 'x') => ({ coding: [{ system: 'http://example.org', code, display: text }] });
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
const PDF = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF').toString('base64');

function assertNoJson(html: string) {
  assert.doesNotMatch(html, /resourceType|&quot;:|"\w+":/, 'rendered as text, not JSON');
}

it('an Observation shows its name, value with unit, reference range and a high flag', () => {
  const html = render({
    resourceType: 'Observation', status: 'final', code: codeable('HbA1c', '4548-4'), effectiveDateTime: '2026-01-02',
    valueQuantity: { value: 6.1, unit: '%' }, referenceRange: [{ low: { value: 4, unit: '%' }, high: { value: 5.6, unit: '%' } }],
  });
  assert.match(seen(html), /^HbA1c: 6\.1 % ?high /);
  assert.match(html, pair('Reference range', '4–5.6 %'));
  assert.match(html, pair('Status', 'final'));
  assert.match(html, /<dt>When<\/dt><dd>[^<]*2026[^<]*<\/dd>/);
  assertNoJson(html);
  // Within range: no flag.
  assert.doesNotMatch(seen(render({ resourceType: 'Observation', code: { text: 'HbA1c' }, valueQuantity: { value: 5, unit: '%' }, referenceRange: [{ low: { value: 4 }, high: { value: 5.6 } }] })), /high|low/);
});

it('a Condition shows its clinical and verification status and onset', () => {
  const html = render({
    resourceType: 'Condition', code: { text: 'Type 2 diabetes' }, onsetDateTime: '2025-06-01',
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
    verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed', display: 'Confirmed' }] },
  });
  assert.match(seen(html), /^Type 2 diabetes /);
  assert.match(html, pair('Status', 'active'));
  assert.match(html, pair('Verification', 'Confirmed'));
  assert.match(html, /<dt>Since<\/dt><dd>[^<]*2025[^<]*<\/dd>/);
  assertNoJson(html);
});

it('a MedicationRequest shows the medicine, how to take it and its status', () => {
  const html = render({ resourceType: 'MedicationRequest', status: 'active', intent: 'order', medicationCodeableConcept: { text: 'Metformin 500 mg' }, dosageInstruction: [{ text: '1 tablet twice daily' }], authoredOn: '2026-01-02' });
  assert.match(seen(html), /^Metformin 500 mg /);
  assert.match(html, pair('How to take it', '1 tablet twice daily'));
  assert.match(html, pair('Status', 'active'));
  assertNoJson(html);
});

it('an AllergyIntolerance shows the substance, the reaction and a high-risk badge', () => {
  const html = render({
    resourceType: 'AllergyIntolerance', code: { text: 'Penicillin' }, criticality: 'high', reaction: [{ manifestation: [{ text: 'Hives' }, codeable('Wheezing')] }],
    clinicalStatus: { coding: [{ code: 'active', display: 'Active' }] },
  });
  assert.match(seen(html), /^Penicillinhigh risk /);
  assert.match(html, pair('Reaction', 'Hives, Wheezing'));
  assert.match(html, pair('Status', 'Active'));
  assertNoJson(html);
});

it('an Immunization shows the vaccine, when it was given and the lot', () => {
  const html = render({ resourceType: 'Immunization', status: 'completed', vaccineCode: { text: 'Influenza vaccine' }, occurrenceDateTime: '2025-10-10', lotNumber: 'LOT-42' });
  assert.match(seen(html), /^Influenza vaccine /);
  assert.match(html, pair('Lot', 'LOT-42'));
  assert.match(html, pair('Status', 'completed'));
  assert.match(html, /<dt>Given<\/dt><dd>[^<]*2025[^<]*<\/dd>/);
  assertNoJson(html);
});

it('a DiagnosticReport shows its conclusion and previews its PDF form', () => {
  const html = render({ resourceType: 'DiagnosticReport', status: 'final', code: { text: 'Lipid panel' }, conclusion: 'LDL slightly raised', result: [{ reference: 'Observation/1' }, { reference: 'Observation/2' }], presentedForm: [{ contentType: 'application/pdf', data: PDF, title: 'lipids.pdf' }] });
  assert.match(seen(html), /^Lipid panel /);
  assert.match(html, pair('Conclusion', 'LDL slightly raised'));
  assert.match(html, pair('Results', '2 linked'));
  assert.match(html, /<iframe [^>]*title="Preview of lipids.pdf"[^>]*data-testid="pdf-preview"/);
  assert.match(html, /<a download="lipids.pdf" data-testid="attachment-download">Download lipids.pdf \(application\/pdf\)<\/a>/);
});

it('a PDF attachment gets an inline preview frame and a download link; an image is previewed; no content says so', () => {
  const pdf = render({ resourceType: 'Binary', contentType: 'application/pdf', data: PDF, meta: { tag: [{ display: 'scan.pdf' }] } });
  assert.match(pdf, /<iframe [^>]*title="Preview of scan.pdf"[^>]*class="preview pdf"[^>]*data-testid="pdf-preview"/);
  assert.doesNotMatch(pdf, /<img/);
  assert.match(pdf, /<a download="scan.pdf" data-testid="attachment-download">Download scan.pdf \(application\/pdf\)<\/a>/);
  // A content type with parameters is still a PDF.
  assert.match(render({ resourceType: 'Binary', contentType: 'Application/PDF; name=x', data: PDF }), /data-testid="pdf-preview"/);

  const image = render({ resourceType: 'Binary', contentType: 'image/png', data: PNG, meta: { tag: [{ display: 'rash.png' }] } });
  assert.match(image, new RegExp(`<img src="data:image/png;base64,${PNG.replace(/[+/=]/g, '\\$&')}" alt="rash.png" class="preview"/>`));
  assert.doesNotMatch(image, /<iframe/);
  assert.match(image, /Download rash.png \(image\/png\)/);

  // Other files: download only, no preview.
  const other = render({ resourceType: 'Binary', contentType: 'application/zip', data: PDF });
  assert.doesNotMatch(other, /<iframe|<img/);
  assert.match(other, /Download Attachment \(application\/zip\)/);

  // Missing or undecodable bytes: nothing to preview or download.
  for (const data of [undefined, '', '%%%not base64%%%']) {
    const empty = render({ resourceType: 'Binary', contentType: 'application/pdf', data });
    assert.doesNotMatch(empty, /<iframe|<a /);
    assert.match(seen(empty), /No content\./);
  }
});

it('a DocumentReference previews its PDF content under its description', () => {
  const html = render({ resourceType: 'DocumentReference', status: 'current', description: 'Discharge letter', content: [{ attachment: { contentType: 'application/pdf', data: PDF, title: 'letter.pdf' } }] });
  assert.equal(resourceTitle({ resourceType: 'DocumentReference', description: 'Discharge letter' }), 'Discharge letter');
  assert.match(seen(html), /^Discharge letter /);
  assert.match(html, /data-testid="pdf-preview"/);
  assert.match(html, /Download letter.pdf/);
});
