export function PatientScreen() {
  return <main className="screen"><p>Coming next.</p></main>;
}
