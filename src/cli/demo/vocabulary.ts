/**
 * A small coded vocabulary for the demo hospital's synthetic records: common observations (LOINC,
 * with UCUM units and a plausible adult range), conditions (SNOMED CT), medications (RxNorm),
 * allergies and vaccines (SNOMED CT / CVX). Codes and displays are the published ones; the values
 * the generator draws are synthetic. No real patient data is involved anywhere.
 */
export const LOINC = 'http://loinc.org';
export const SNOMED = 'http://snomed.info/sct';
export const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
export const CVX = 'http://hl7.org/fhir/sid/cvx';
export const UCUM = 'http://unitsofmeasure.org';

export interface ObservationCode { code: string; display: string; unit: string; min: number; max: number; decimals: number; category: 'vital-signs' | 'laboratory' }

export const OBSERVATIONS: readonly ObservationCode[] = [
  { code: '8867-4', display: 'Heart rate', unit: '/min', min: 52, max: 110, decimals: 0, category: 'vital-signs' },
  { code: '8480-6', display: 'Systolic blood pressure', unit: 'mm[Hg]', min: 100, max: 165, decimals: 0, category: 'vital-signs' },
  { code: '8462-4', display: 'Diastolic blood pressure', unit: 'mm[Hg]', min: 60, max: 100, decimals: 0, category: 'vital-signs' },
  { code: '8310-5', display: 'Body temperature', unit: 'Cel', min: 36.1, max: 38.4, decimals: 1, category: 'vital-signs' },
  { code: '29463-7', display: 'Body weight', unit: 'kg', min: 48, max: 125, decimals: 1, category: 'vital-signs' },
  { code: '39156-5', display: 'Body mass index (BMI) [Ratio]', unit: 'kg/m2', min: 18, max: 38, decimals: 1, category: 'vital-signs' },
  { code: '59408-5', display: 'Oxygen saturation in Arterial blood by Pulse oximetry', unit: '%', min: 91, max: 100, decimals: 0, category: 'vital-signs' },
  { code: '4548-4', display: 'Hemoglobin A1c/Hemoglobin.total in Blood', unit: '%', min: 4.8, max: 9.5, decimals: 1, category: 'laboratory' },
  { code: '2345-7', display: 'Glucose [Mass/volume] in Serum or Plasma', unit: 'mg/dL', min: 70, max: 210, decimals: 0, category: 'laboratory' },
  { code: '2093-3', display: 'Cholesterol [Mass/volume] in Serum or Plasma', unit: 'mg/dL', min: 140, max: 280, decimals: 0, category: 'laboratory' },
  { code: '2160-0', display: 'Creatinine [Mass/volume] in Serum or Plasma', unit: 'mg/dL', min: 0.6, max: 1.6, decimals: 2, category: 'laboratory' },
  { code: '718-7', display: 'Hemoglobin [Mass/volume] in Blood', unit: 'g/dL', min: 10.5, max: 17.5, decimals: 1, category: 'laboratory' },
];

export const CONDITIONS: readonly { code: string; display: string }[] = [
  { code: '38341003', display: 'Hypertensive disorder, systemic arterial' },
  { code: '44054006', display: 'Diabetes mellitus type 2' },
  { code: '195967001', display: 'Asthma' },
  { code: '13645005', display: 'Chronic obstructive lung disease' },
  { code: '55822004', display: 'Hyperlipidemia' },
  { code: '35489007', display: 'Depressive disorder' },
  { code: '69896004', display: 'Rheumatoid arthritis' },
  { code: '49436004', display: 'Atrial fibrillation' },
  { code: '40055000', display: 'Chronic sinusitis' },
  { code: '68566005', display: 'Urinary tract infectious disease' },
];

export const MEDICATIONS: readonly { code: string; display: string; dosage: string }[] = [
  { code: '314076', display: 'lisinopril 10 MG Oral Tablet', dosage: 'one tablet by mouth once daily' },
  { code: '860975', display: 'metformin hydrochloride 500 MG 24HR Extended Release Oral Tablet', dosage: 'one tablet by mouth twice daily with meals' },
  { code: '617312', display: 'atorvastatin 10 MG Oral Tablet', dosage: 'one tablet by mouth at bedtime' },
  { code: '745679', display: 'albuterol 0.09 MG/ACTUAT Metered Dose Inhaler', dosage: 'two puffs every 4 to 6 hours as needed' },
  { code: '197361', display: 'amlodipine 5 MG Oral Tablet', dosage: 'one tablet by mouth once daily' },
  { code: '310965', display: 'ibuprofen 200 MG Oral Tablet', dosage: 'one to two tablets every 6 hours as needed' },
  { code: '308136', display: 'amlodipine 2.5 MG Oral Tablet', dosage: 'one tablet by mouth once daily' },
  { code: '855332', display: 'warfarin sodium 5 MG Oral Tablet', dosage: 'as directed by the anticoagulation clinic' },
  { code: '312961', display: 'simvastatin 20 MG Oral Tablet', dosage: 'one tablet by mouth in the evening' },
  { code: '308182', display: 'amoxicillin 250 MG Oral Capsule', dosage: 'one capsule by mouth three times daily for 7 days' },
];

export const ALLERGIES: readonly { code: string; display: string; reaction: string }[] = [
  { code: '91936005', display: 'Allergy to penicillin', reaction: 'Urticaria' },
  { code: '300913006', display: 'Shellfish allergy', reaction: 'Angioedema' },
  { code: '91935009', display: 'Allergy to peanuts', reaction: 'Anaphylaxis' },
  { code: '418689008', display: 'Allergy to grass pollen', reaction: 'Allergic rhinitis' },
  { code: '294505008', display: 'Allergy to amoxicillin', reaction: 'Skin rash' },
];

export const VACCINES: readonly { code: string; display: string }[] = [
  { code: '140', display: 'Influenza, seasonal, injectable, preservative free' },
  { code: '208', display: 'COVID-19, mRNA, LNP-S, PF, 30 mcg/0.3 mL dose' },
  { code: '115', display: 'Tdap' },
  { code: '133', display: 'Pneumococcal conjugate PCV 13' },
  { code: '43', display: 'Hepatitis B vaccine, adult dosage' },
];
