import { useEffect, useMemo, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { ManagerCharts } from '../../../terminal/http/wire-types.js';
import { formatDate, type Locale, translator } from '../shell/i18n.js';
import { managerMessages, verdictMessages } from './messages.js';
import { enumText } from './reasons.js';

const COLOURS: Record<string, string> = {
  genuine: '#1a7f37',
  already_sold: '#bf8700',
  unknown: '#cf222e',
  recalled: '#8250df',
  expired: '#953800',
  malformed: '#6e7781',
  unverifiable: '#57606a',
};

/** A line: `key` picks its colour (a verdict), `label` is what the legend shows. */
type Series = { key: string; label: string; values: number[] };

/** An hour on the time axis and in the legend, in the page's language. */
const hourText = (seconds: number, locale: Locale) =>
  new Date(seconds * 1000).toLocaleString(locale, { hour: '2-digit', minute: '2-digit' });

/** The axes' font, set explicitly so label widths can be measured with the same font. */
const AXIS_FONT = '12px system-ui, "Noto Sans CJK SC", "WenQuanYi Zen Hei", sans-serif';
/** Whole hours only, then days: the time axis never ticks at 30 or 15 minutes. */
const HOUR_INCRS = [1, 2, 3, 4, 6, 8, 12, 24, 48, 72, 168].map((h) => h * 3600);
/** Counts are whole numbers: 1, 2, 5, 10, … (never 0.25 sales). */
const COUNT_INCRS = Array.from({ length: 7 }, (_, e) => [1, 2, 5].map((m) => m * 10 ** e)).flat();

let measurer: CanvasRenderingContext2D | null | undefined;
function labelWidth(text: string): number {
  measurer ??= document.createElement('canvas').getContext('2d');
  if (!measurer) return text.length * 8;
  measurer.font = AXIS_FONT;
  return measurer.measureText(text).width;
}

function Plot(props: { title: string; x: number[]; series: Series[]; locale: Locale; time: string }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    // uPlot picks the smallest increment whose ticks are at least `space` px apart: make that the
    // widest hour label plus a gap, so labels never overlap at this width and language.
    const widest = Math.max(...props.x.map((v) => labelWidth(hourText(v, props.locale))), 0);
    const plot = new uPlot(
      {
        title: props.title,
        width: Math.max(320, el.clientWidth || 600),
        height: 220,
        scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
        series: [
          {
            label: props.time,
            value: (_u, v) =>
              v === null
                ? '--'
                : `${formatDate(new Date(v * 1000).toISOString(), props.locale)} ${hourText(v, props.locale)}`,
          },
          ...props.series.map((s) => ({
            label: s.label,
            stroke: COLOURS[s.key] ?? '#0969da',
            width: 2,
            value: (_u: uPlot, v: number | null) => (v === null ? '--' : String(v)),
          })),
        ],
        axes: [
          {
            font: AXIS_FONT,
            incrs: HOUR_INCRS,
            space: widest + 16,
            values: (u, splits) => {
              const labels = splits.map((s) => hourText(s, props.locale));
              // For tests and the curious: where each label is drawn (CSS px) and what it says.
              el.dataset.xTicks = JSON.stringify(
                splits.map((s, i) => ({ at: u.valToPos(s, 'x'), label: labels[i] })),
              );
              return labels;
            },
          },
          {
            font: AXIS_FONT,
            incrs: COUNT_INCRS,
            space: 30,
            values: (_u, splits) => {
              el.dataset.yTicks = JSON.stringify(splits);
              return splits.map(String);
            },
          },
        ],
      },
      [props.x, ...props.series.map((s) => s.values)],
      el,
    );
    el.dataset.axisFont = AXIS_FONT;
    return () => plot.destroy();
  }, [props.title, props.x, props.series, props.locale, props.time]);
  return <div class="mg-plot" ref={host} />;
}

/** Checks per hour (one line per verdict) and sales per hour, with uPlot. */
export function Charts(props: { data: ManagerCharts | undefined; locale: Locale }) {
  const t = translator(managerMessages, props.locale);
  const data = props.data;
  const locale = props.locale;
  const sales = t('sales');
  // Memoised on the data so a re-render (a health push) does not rebuild the plots.
  const plotted = useMemo(() => {
    if (!data) return undefined;
    const x = data.hours.map((h) => Date.parse(`${h}:00:00Z`) / 1000);
    const line = (verdict: string, values: number[]): Series => ({
      key: verdict,
      label: enumText(verdictMessages, locale, verdict),
      values,
    });
    const checks = Object.entries(data.checks).map(([verdict, values]) => line(verdict, values));
    return {
      x,
      checks: checks.length
        ? checks
        : [
            line(
              'genuine',
              x.map(() => 0),
            ),
          ],
      sales: [{ key: 'sales', label: sales, values: data.sales }],
    };
  }, [data, sales, locale]);
  if (!plotted) return null;
  const { x, checks } = plotted;
  return (
    <section class="mg-charts">
      <h2>{t('charts')}</h2>
      <Plot title={t('checksPerHour')} x={x} series={checks} locale={locale} time={t('time')} />
      <Plot title={t('salesPerHour')} x={x} series={plotted.sales} locale={locale} time={t('time')} />
    </section>
  );
}
