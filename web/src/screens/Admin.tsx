export function AdminScreen() {
  return <main className="screen"><p>Coming next.</p></main>;
}
