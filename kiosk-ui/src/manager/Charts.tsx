import { useEffect, useMemo, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { ManagerCharts } from '../../../terminal/http/routes/manager-types.js';
import { type Locale, translator } from '../shell/i18n.js';
import { managerMessages } from './messages.js';

const COLOURS: Record<string, string> = {
  genuine: '#1a7f37',
  already_sold: '#bf8700',
  unknown: '#cf222e',
  recalled: '#8250df',
  expired: '#953800',
  malformed: '#6e7781',
  unverifiable: '#57606a',
};

function Plot(props: { title: string; x: number[]; series: { label: string; values: number[] }[] }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!host.current) return;
    const plot = new uPlot(
      {
        title: props.title,
        width: Math.max(320, host.current.clientWidth || 600),
        height: 220,
        series: [
          {},
          ...props.series.map((s) => ({
            label: s.label,
            stroke: COLOURS[s.label] ?? '#0969da',
            width: 2,
          })),
        ],
        axes: [{}, { label: '#' }],
      },
      [props.x, ...props.series.map((s) => s.values)],
      host.current,
    );
    return () => plot.destroy();
  }, [props.title, props.x, props.series]);
  return <div class="mg-plot" ref={host} />;
}

/** Checks per hour (one line per verdict) and sales per hour, with uPlot. */
export function Charts(props: { data: ManagerCharts | undefined; locale: Locale }) {
  const t = translator(managerMessages, props.locale);
  const data = props.data;
  const sales = t('sales');
  // Memoised on the data so a re-render (a health push) does not rebuild the plots.
  const plotted = useMemo(() => {
    if (!data) return undefined;
    const x = data.hours.map((h) => Date.parse(`${h}:00:00Z`) / 1000);
    const checks = Object.entries(data.checks).map(([label, values]) => ({ label, values }));
    return {
      x,
      checks: checks.length ? checks : [{ label: 'genuine', values: x.map(() => 0) }],
      sales: [{ label: sales, values: data.sales }],
    };
  }, [data, sales]);
  if (!plotted) return null;
  const { x, checks } = plotted;
  return (
    <section class="mg-charts">
      <h2>{t('charts')}</h2>
      <Plot title={t('checksPerHour')} x={x} series={checks} />
      <Plot title={t('salesPerHour')} x={x} series={plotted.sales} />
    </section>
  );
}
