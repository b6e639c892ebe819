export function ProviderScreen() {
  return <main className="screen"><p>Coming next.</p></main>;
}
