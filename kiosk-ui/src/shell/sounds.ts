/**
 * The two sounds a clerk hears without looking (Web Audio, OscillatorNode): `ok` one short high
 * beep, `problem` a falling two-tone buzz (the handheld pages: /receiving, /stock). Every sound
 * played is counted on the page root, its <main> (`data-sounds-ok`, `data-sounds-problem`,
 * `data-last-sound`, `data-audio`), so a browser test can check them; a browser without Web Audio
 * (or one that refuses it) still counts, silently.
 */
export type SoundKind = 'ok' | 'problem';

let context: AudioContext | undefined;

function audio(): AudioContext | undefined {
  if (context) return context;
  const Ctor =
    globalThis.AudioContext ??
    (globalThis as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext;
  if (!Ctor) return undefined;
  try {
    context = new Ctor();
  } catch {
    return undefined;
  }
  return context;
}

/** Tones of each sound: [frequency Hz, start s, length s]. */
const TONES: Record<SoundKind, { type: OscillatorType; notes: [number, number, number][] }> = {
  ok: { type: 'sine', notes: [[1320, 0, 0.09]] },
  problem: {
    type: 'square',
    notes: [
      [440, 0, 0.16],
      [220, 0.2, 0.3],
    ],
  },
};

export function playSound(kind: SoundKind, root: HTMLElement | null = document.querySelector('main')): void {
  if (root) {
    const attr = kind === 'ok' ? 'soundsOk' : 'soundsProblem';
    root.dataset[attr] = String(Number(root.dataset[attr] ?? '0') + 1);
    root.dataset.lastSound = kind;
  }
  const ctx = audio();
  // Whether the sound really went to Web Audio (`none`: no AudioContext in this browser).
  if (root) root.dataset.audio = ctx ? 'web-audio' : 'none';
  if (!ctx) return;
  // A page may start suspended until the first touch or key (autoplay policy): a scan is one.
  if (ctx.state === 'suspended') void ctx.resume().catch(() => undefined);
  const { type, notes } = TONES[kind];
  const now = ctx.currentTime;
  for (const [frequency, start, length] of notes) {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = type;
    osc.frequency.value = frequency;
    // Short ramps at both ends: no click.
    gain.gain.setValueAtTime(0.0001, now + start);
    gain.gain.exponentialRampToValueAtTime(0.3, now + start + 0.01);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + start + length);
    osc.connect(gain).connect(ctx.destination);
    osc.start(now + start);
    osc.stop(now + start + length + 0.02);
  }
}
