import { type ComponentType, render } from 'preact';
import { KioskPage } from './kiosk/KioskPage.js';
import './shell/shell.css';

/**
 * App shell: picks the page from the path. The kiosk (`/`) is bundled in the entry (it is the hot
 * path); every other page is a folder with a `page.tsx` whose default export is the page
 * component, loaded lazily as its own chunk: `src/checkout/page.tsx` serves `/checkout`,
 * `src/manager/page.tsx` serves `/manager`. Adding a page needs no edit here.
 */
const lazyPages = import.meta.glob<{ default: ComponentType }>('./*/page.tsx');

async function pageFor(path: string): Promise<ComponentType> {
  const first = path.split('/').filter(Boolean)[0];
  if (first === undefined) return KioskPage;
  const load = lazyPages[`./${first}/page.tsx`];
  if (!load) return NotFound;
  return (await load()).default;
}

function NotFound() {
  return (
    <main class="shell-notfound">
      <h1>404</h1>
      <p>
        <a href="/">veriterm</a>
      </p>
    </main>
  );
}

const root = document.getElementById('app');
if (root) {
  void pageFor(location.pathname).then((Page) => render(<Page />, root));
}
