export interface Series {
  label: string;
  /** One value per x label; null where there is nothing to plot (a rate with no attempts). */
  values: (number | null)[];
  /** CSS class giving its colour (styles.css: .series-1 …). */
  tone: "series-1" | "series-2";
}

const WIDTH = 640;
const HEIGHT = 200;
const PAD = { top: 12, right: 12, bottom: 28, left: 48 };

/**
 * A small SVG line chart: no chart library, no canvas, nothing inline that the CSP would refuse
 * (colours come from classes). For people who cannot see it, the image has a title and a summary,
 * and the numbers are in a table behind "Show data".
 */
export function LineChart(props: {
  id: string;
  title: string;
  labels: string[];
  series: Series[];
  format: (value: number) => string;
  /** The top of the y axis when the data would not give one (e.g. 100 for a percentage). */
  max?: number;
}) {
  const all = props.series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const max = props.max ?? Math.max(1, ...all);
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const n = props.labels.length;
  const x = (i: number) => PAD.left + (n <= 1 ? plotW / 2 : (i * plotW) / (n - 1));
  const y = (v: number) => PAD.top + plotH - (v / max) * plotH;
  const summary = props.series
    .map((s) => {
      const values = s.values.filter((v): v is number => v !== null);
      const latest = values.at(-1);
      return `${s.label}: latest ${latest === undefined ? "none" : props.format(latest)}, highest ${
        values.length ? props.format(Math.max(...values)) : "none"
      }`;
    })
    .join("; ");
  const ticks = n > 0 ? [0, Math.floor((n - 1) / 2), n - 1] : [];

  return (
    <figure class="chart" data-testid={`chart-${props.id}`}>
      <figcaption id={`${props.id}-title`}>{props.title}</figcaption>
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-labelledby={`${props.id}-title ${props.id}-desc`}
      >
        <title>{props.title}</title>
        <desc id={`${props.id}-desc`}>{summary}</desc>
        <line class="axis" x1={PAD.left} y1={PAD.top + plotH} x2={WIDTH - PAD.right} y2={PAD.top + plotH} />
        <line class="axis" x1={PAD.left} y1={PAD.top} x2={PAD.left} y2={PAD.top + plotH} />
        <text class="tick" x={PAD.left - 6} y={PAD.top + 4} text-anchor="end">
          {props.format(max)}
        </text>
        <text class="tick" x={PAD.left - 6} y={PAD.top + plotH} text-anchor="end">
          {props.format(0)}
        </text>
        {ticks.map((i, k) => (
          <text key={i} class="tick" x={x(i)} y={HEIGHT - 8} text-anchor={["start", "middle", "end"][k]}>
            {props.labels[i]}
          </text>
        ))}
        {props.series.map((s) => {
          const points = s.values.flatMap((v, i) => (v === null ? [] : [{ i, cx: x(i), cy: y(v) }]));
          return (
            <g key={s.label} class={s.tone}>
              <polyline
                class="line"
                points={points.map((p) => `${p.cx.toFixed(1)},${p.cy.toFixed(1)}`).join(" ")}
                data-series={s.label}
                data-points={points.length}
              />
              {/* A dot per value: an hour between two empty ones is still seen. */}
              {points.map((p) => (
                <circle key={p.i} class="dot" cx={p.cx} cy={p.cy} r={2.5} />
              ))}
            </g>
          );
        })}
      </svg>
      <ul class="legend">
        {props.series.map((s) => (
          <li key={s.label}>
            <span class={`swatch ${s.tone}`} aria-hidden="true" />
            {s.label}
          </li>
        ))}
      </ul>
      <details>
        <summary>Show data: {props.title}</summary>
        <table>
          <caption class="visually-hidden">{props.title}</caption>
          <thead>
            <tr>
              <th scope="col">Hour</th>
              {props.series.map((s) => (
                <th scope="col" key={s.label}>
                  {s.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {props.labels.map((label, i) => (
              <tr key={label + String(i)}>
                <th scope="row">{label}</th>
                {props.series.map((s) => {
                  const v = s.values[i];
                  return <td key={s.label}>{v === null || v === undefined ? "—" : props.format(v)}</td>;
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
