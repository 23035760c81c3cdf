import { useEffect, useRef, useState } from 'preact/hooks';
import type { KioskSettings } from '../../../terminal/http/wire-types.js';
import { WedgeCapture } from '../kiosk/wedge.js';
import { api } from './api.js';

let settings: Promise<KioskSettings['wedge'] | undefined> | undefined;
/** The terminal's keyboard-wedge settings (GS substitute), read once per page. */
function readWedgeSettings(): Promise<KioskSettings['wedge'] | undefined> {
  settings ??= api<KioskSettings>('/api/v1/kiosk/settings').then(
    (s) => s.wedge,
    () => undefined,
  );
  return settings;
}

/**
 * A keyboard-wedge scanner read on the window while no text field has focus, as the kiosk reads it
 * (kiosk/wedge.ts, shell/scan-keys.ts): a handheld's built-in scanner types into whatever is
 * focused, and the clerk's hands are on the goods, not on a field. The receiving, stock and checkout
 * pages share it. Returns the GS substitute.
 */
export function useWedge(onScan: (data: string) => void): string | undefined {
  const latest = useRef(onScan);
  latest.current = onScan;
  const [gsSubstitute, setGsSubstitute] = useState<string | undefined>();
  useEffect(() => {
    void readWedgeSettings().then((w) => setGsSubstitute(w?.gsSubstitute));
  }, []);
  useEffect(() => {
    const wedge = new WedgeCapture(
      (data) => latest.current(data),
      () => {},
      // Looser gaps than the kiosk's: handheld and till browsers are slower than a desktop's.
      { maxGapMs: 50, breakGapMs: 300, ...(gsSubstitute ? { gsSubstitute } : {}) },
    );
    const outsideFields = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      return !(target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA'));
    };
    const onKey = (event: KeyboardEvent) => {
      if (outsideFields(event)) wedge.key(event);
    };
    const onKeyUp = (event: KeyboardEvent) => {
      if (outsideFields(event)) wedge.keyUp(event);
    };
    window.addEventListener('keydown', onKey, true);
    window.addEventListener('keyup', onKeyUp, true);
    return () => {
      window.removeEventListener('keydown', onKey, true);
      window.removeEventListener('keyup', onKeyUp, true);
      wedge.dispose();
    };
  }, [gsSubstitute]);
  return gsSubstitute;
}
