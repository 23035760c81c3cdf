/** Verdict icons as inline SVG (no icon font: works offline and in any locale). */
export function VerdictIcon(props: { tone: 'good' | 'warn' | 'bad' | 'retry' | 'neutral' }) {
  const paths: Record<typeof props.tone, string> = {
    good: 'M20 50 L42 72 L82 28',
    warn: 'M50 14 L90 84 L10 84 Z M50 40 L50 62 M50 72 L50 74',
    bad: 'M26 26 L74 74 M74 26 L26 74',
    retry: 'M78 50 A28 28 0 1 1 66 27 M66 12 L66 28 L50 28',
    neutral: 'M36 38 A14 14 0 1 1 56 50 Q50 54 50 62 M50 74 L50 76',
  };
  return (
    <svg class="verdict-icon" viewBox="0 0 100 100" aria-hidden="true" focusable="false">
      {props.tone !== 'warn' && (
        <circle cx="50" cy="50" r="46" fill="none" stroke="currentColor" stroke-width="6" />
      )}
      <path
        d={paths[props.tone]}
        fill="none"
        stroke="currentColor"
        stroke-width="9"
        stroke-linecap="round"
        stroke-linejoin="round"
      />
    </svg>
  );
}
