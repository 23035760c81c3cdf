import { useEffect, useRef, useState } from 'preact/hooks';
import type {
  AcceptView,
  StockAdjustmentPayload,
  StockScanAnswerView,
  StockSessionView,
  StocktakeReportView,
} from '../../../terminal/http/wire-types.js';
import { ApiFailure } from '../shell/api.js';
import { type Locale, translator } from '../shell/i18n.js';
import { playSound } from '../shell/sounds.js';
import { useWedge } from '../shell/use-wedge.js';
import { AcceptSheet } from './AcceptSheet.js';
import { DifferenceList } from './DifferenceList.js';
import { countsOf, linesOf } from './differences.js';
import { stockMessages } from './messages.js';
import { ScanTools } from './ScanTools.js';
import { StockBanner, soundOf } from './StockBanner.js';
import { scopeText } from './StocktakeList.js';
import { downloadCsv, stockApi } from './stock-api.js';
import { Tiles } from './Tiles.js';

/** Difference lines shown on the handheld; the CSV has every one. */
const SHOWN_LINES = 100;

const countOf = (byProduct: Record<string, string[]>) =>
  Object.values(byProduct).reduce((n, r) => n + r.length, 0);

/**
 * One stocktake: scan the shelf (units, or a case or pallet label for its contents), watch the
 * live numbers and one line per difference, close it (a signed `stocktake` record), then a
 * manager accepts the differences with a reason: signed in as a manager, or with a manager's PIN
 * on the clerk's handheld as the checkout approves an override. The differences download as CSV.
 */
export function StocktakeScreen(props: {
  locale: Locale;
  id: string;
  role: 'cashier' | 'manager';
  onBack: () => void;
  onSessionEnded: () => void;
}) {
  const t = translator(stockMessages, props.locale);
  const { id } = props;
  const [session, setSession] = useState<StockSessionView | undefined>();
  const [report, setReport] = useState<StocktakeReportView | undefined>();
  const [adjustment, setAdjustment] = useState<StockAdjustmentPayload | undefined>();
  const [skipped, setSkipped] = useState<number | undefined>();
  const [answer, setAnswer] = useState<StockScanAnswerView | undefined>();
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [sheet, setSheet] = useState<'none' | 'close' | 'accept'>('none');
  const [refreshing, setRefreshing] = useState(false);
  // Scans run one after another in the order they were read; the report is read when they drain,
  // beside the queue (a whole-store report is a pass over stock on hand: scans must not wait for
  // it) and one at a time: scans answered meanwhile ask for one more read after it.
  const queue = useRef<Promise<void>>(Promise.resolve());
  const pending = useRef(0);
  const reporting = useRef({ running: false, again: false });

  const failed = (e: unknown) => {
    if (e instanceof ApiFailure && e.status === 401) return props.onSessionEnded();
    setAnswer(undefined);
    setError(
      e instanceof ApiFailure && e.code !== 'network' ? t('failed', { message: e.message }) : t('offline'),
    );
    playSound('problem');
  };
  const load = async () => {
    const s = await stockApi.stocktake(id);
    setSession(s);
    if (s.state === 'open') setReport(await stockApi.report(id));
    else {
      // A closed stocktake shows what it closed with, not a report of today's stock.
      const records = await stockApi.records(id);
      setReport(records.stocktake);
      setAdjustment(records.adjustment);
    }
  };
  useEffect(() => {
    load().catch(failed);
  }, [id]);

  const refresh = () => {
    const r = reporting.current;
    if (r.running) {
      r.again = true;
      return;
    }
    r.running = true;
    setRefreshing(true);
    void (async () => {
      do {
        r.again = false;
        try {
          setReport(await stockApi.report(id));
        } catch (e) {
          failed(e);
        }
      } while (r.again);
      r.running = false;
      setRefreshing(false);
    })();
  };
  const onScan = (data: string) => {
    if (session?.state !== 'open') {
      // A scan on a closed count: the buzz and a word, so the clerk does not think it counted.
      setError(t('scanClosed'));
      playSound('problem');
      return;
    }
    pending.current++;
    queue.current = queue.current.then(async () => {
      setBusy(true);
      try {
        const [a] = await stockApi.scanStocktake(id, [data]);
        setAnswer(a);
        setError('');
        playSound(soundOf(a!));
        if (pending.current === 1) refresh();
      } catch (e) {
        failed(e);
      } finally {
        pending.current--;
        setBusy(false);
      }
    });
  };
  useWedge(onScan);

  const act = async (call: () => Promise<void>) => {
    setBusy(true);
    try {
      await call();
      setError('');
      setAnswer(undefined);
      setSheet('none');
      playSound('ok');
    } catch (e) {
      failed(e);
    } finally {
      setBusy(false);
    }
  };
  const close = () =>
    act(async () => {
      await stockApi.closeStocktake(id);
      await load();
    });
  const accepted = async (result: AcceptView) => {
    setSkipped(result.skipped.length);
    await load();
    setSheet('none');
    setError('');
    setAnswer(undefined);
    playSound('ok');
  };

  if (!session)
    return (
      <section class="rc-delivery-screen">
        <button type="button" class="rc-back" onClick={props.onBack}>
          ← {t('back')}
        </button>
        {error ? <p class="rc-error">{error}</p> : <p class="rc-loading">…</p>}
      </section>
    );
  const open = session.state === 'open';
  const { lines, total } = report ? linesOf(report, SHOWN_LINES) : { lines: [], total: 0 };
  return (
    <section
      class="rc-delivery-screen st-stocktake"
      data-session={id}
      data-state={session.state}
      data-busy={busy || refreshing}
    >
      <div class="rc-title">
        <button type="button" class="rc-back" onClick={props.onBack} aria-label={t('back')}>
          ←
        </button>
        <div>
          <strong>
            {scopeText(session.params, props.locale)} · {t(`state_${session.state}`)}
          </strong>
          <span>{session.id}</span>
        </div>
      </div>
      <Tiles locale={props.locale} {...(report ? { counts: countsOf(report) } : {})} />
      {open ? (
        <StockBanner locale={props.locale} answer={answer} error={error} hint={t('scanPrompt')} />
      ) : (
        <div class="rc-banner" data-ok="closed" role="status">
          <strong>{session.state === 'accepted' ? t('accepted') : t('closed')}</strong>
          {adjustment && (
            <span class="st-adjusted">
              {t('acceptDone', { out: countOf(adjustment.out), in: countOf(adjustment.in) })} —{' '}
              {adjustment.reason} ({adjustment.approvedBy})
            </span>
          )}
          {skipped !== undefined && skipped > 0 && <span>{t('skipped', { n: skipped })}</span>}
          {error && <span class="rc-error">{error}</span>}
          {session.recordId && <small>{t('record', { id: session.recordId })}</small>}
        </div>
      )}
      {open && sheet === 'none' && (
        <div class="rc-modes">
          <button type="button" class="rc-close-open st-close" onClick={() => setSheet('close')}>
            {t('close')}
          </button>
        </div>
      )}
      {open && sheet === 'close' && (
        <form
          class="rc-close st-close-sheet"
          onSubmit={(e) => {
            e.preventDefault();
            void close();
          }}
        >
          <h2>{t('close')}</h2>
          <div class="rc-actions">
            <button type="button" onClick={() => setSheet('none')}>
              {t('cancel')}
            </button>
            <button type="submit" class="rc-primary" disabled={busy}>
              {t('closeConfirm')}
            </button>
          </div>
        </form>
      )}
      {!open && (
        <div class="rc-modes st-after">
          <button type="button" class="st-csv" onClick={() => downloadCsv(id).catch(failed)}>
            {t('csv')}
          </button>
          {session.state === 'closed' && sheet === 'none' && (
            <button type="button" class="rc-close-open st-accept" onClick={() => setSheet('accept')}>
              {t('accept')}
            </button>
          )}
        </div>
      )}
      {session.state === 'closed' && sheet === 'accept' && (
        <AcceptSheet
          locale={props.locale}
          role={props.role}
          stocktakeId={id}
          onAccepted={accepted}
          onFailed={failed}
          onCancel={() => setSheet('none')}
        />
      )}
      <DifferenceList locale={props.locale} lines={lines} total={total} />
      {open && <ScanTools locale={props.locale} onScan={onScan} />}
    </section>
  );
}
