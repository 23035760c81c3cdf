import { useEffect, useState } from 'preact/hooks';
import type {
  HealthEntry,
  ManagerCharts,
  ManagerOverview,
  WsMessage,
} from '../../../terminal/http/wire-types.js';
import { ApiFailure, api, getToken, setToken } from '../shell/api.js';
import { LOCALES, type Locale, translator, useLocale } from '../shell/i18n.js';
import { SignIn } from '../shell/SignIn.js';
import { connectWs } from '../shell/ws.js';
import { Charts } from './Charts.js';
import { managerMessages } from './messages.js';
import { Alerts, Details, EventLog, Receipts } from './Panels.js';
import { Receiving } from './Receiving.js';
import { Tiles } from './Tiles.js';
import './manager.css';

function mergeItem(items: HealthEntry[], entry: HealthEntry): HealthEntry[] {
  const next = items.filter((i) => i.component !== entry.component);
  next.push(entry);
  return next.sort((a, b) => a.component.localeCompare(b.component));
}

/**
 * The signed-in dashboard. Health changes arrive as WebSocket `health` pushes and update their tile
 * at once; each push also schedules a re-read of the overview (backlog, alerts, events) within
 * 300 ms, so the page is never more than a push behind. A slow poll covers a dropped socket.
 */
function Dashboard(props: { locale: Locale; onSessionEnded: () => void }) {
  const t = translator(managerMessages, props.locale);
  const [overview, setOverview] = useState<ManagerOverview>();
  const [charts, setCharts] = useState<ManagerCharts>();
  const [live, setLive] = useState(false);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const failed = (e: unknown) => {
      if (e instanceof ApiFailure && (e.status === 401 || e.status === 403)) props.onSessionEnded();
    };
    const load = () => api<ManagerOverview>('/api/v1/manager/overview').then(setOverview, failed);
    const loadCharts = () => api<ManagerCharts>('/api/v1/manager/charts?hours=24').then(setCharts, failed);
    // At most one re-read per 300 ms, never postponed by later pushes: a component whose details
    // change on every report (the link while records wait) would otherwise starve it until the poll.
    const soon = () => {
      timer ??= setTimeout(() => {
        timer = undefined;
        void load();
      }, 300);
    };
    void load();
    void loadCharts();
    const poll = setInterval(() => void load(), 10_000);
    const chartPoll = setInterval(() => void loadCharts(), 60_000);
    const close = connectWs((m: WsMessage) => {
      if (m.type === 'health') {
        setOverview((o) =>
          o ? { ...o, health: { ...o.health, items: mergeItem(o.health.items, m.data) } } : o,
        );
        soon();
      } else if (m.type === 'verdict') soon();
    }, setLive);
    return () => {
      close();
      clearInterval(poll);
      clearInterval(chartPoll);
      if (timer) clearTimeout(timer);
    };
  }, []);
  if (!overview) return <p class="mg-loading">…</p>;
  return (
    <div class="mg-dashboard">
      <p class={`mg-live ${live ? 'on' : 'off'}`}>
        {overview.storeId} / {overview.terminalId} · {live ? t('live') : t('offline')}
      </p>
      <Tiles items={overview.health.items} locale={props.locale} />
      <div class="mg-columns">
        <Alerts data={overview} locale={props.locale} />
        <Details data={overview} locale={props.locale} />
      </div>
      <Receiving locale={props.locale} onSessionEnded={props.onSessionEnded} />
      <Charts data={charts} locale={props.locale} />
      <div class="mg-columns">
        <Receipts data={overview} locale={props.locale} />
        <EventLog data={overview} locale={props.locale} />
      </div>
    </div>
  );
}

/** /manager: the store manager's view. Sign in with a manager password or PIN. */
export default function ManagerPage() {
  const [locale, setLocale] = useLocale();
  const t = translator(managerMessages, locale);
  const [signedIn, setSignedIn] = useState(() => getToken() !== undefined);
  const ended = () => {
    setToken(undefined);
    setSignedIn(false);
  };
  const signOut = async () => {
    await api('/api/v1/auth/sign-out', { body: {} }).catch(() => undefined);
    ended();
  };
  return (
    <main class="mg-page">
      <header class="mg-header">
        <h1>{t('title')}</h1>
        <div class="mg-lang">
          {LOCALES.map((l) => (
            <button type="button" key={l} lang={l} aria-pressed={l === locale} onClick={() => setLocale(l)}>
              {l === 'zh-CN' ? '中文' : 'English'}
            </button>
          ))}
          {signedIn && (
            <button type="button" onClick={() => void signOut()}>
              {t('signOut')}
            </button>
          )}
        </div>
      </header>
      {signedIn ? (
        <Dashboard locale={locale} onSessionEnded={ended} />
      ) : (
        <SignIn locale={locale} need="manager" onSignedIn={() => setSignedIn(true)} />
      )}
    </main>
  );
}
