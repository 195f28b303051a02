import type { Metric, Registry } from 'prom-client';

type Labels<L extends string> = Record<L, string>;

/**
 * A counter and a histogram for the per-request path: plain numbers in a Map keyed by the label
 * values, handed to prom-client's registry as ready-made values when /metrics is scraped.
 *
 * Why not prom-client's own Counter and Histogram here: their inc()/observe() validate and hash
 * the label object and build a closure on every call, which measured at about 4 µs a call inside
 * the loaded relay, four calls per webhook request. The exposition (names, HELP/TYPE, label
 * escaping, bucket lines) stays prom-client's; test/ops/hot-metrics.test.ts checks that the text
 * is identical to what prom-client's own metrics print for the same observations.
 */
abstract class HotMetric<L extends string, S extends { labels: Labels<L> }> {
  readonly aggregator = 'sum' as const;
  /** Every series, in creation order, for export. */
  protected series: S[] = [];
  /**
   * Series found through one Map level per label value. Joining the values into one key
   * string would build a new string to hash on every call.
   */
  private index = new Map<string, unknown>();

  constructor(
    readonly name: string,
    readonly help: string,
    protected readonly labelNames: readonly L[],
    registry: Registry,
  ) {
    if (labelNames.length === 0) throw new Error(`${name}: hot metrics need at least one label`);
    registry.registerMetric(this as unknown as Metric);
  }

  /** The series of these label values, created on first use. */
  protected seriesOf(labels: Labels<L>): S {
    const last = this.labelNames.length - 1;
    let level = this.index;
    for (let i = 0; i < last; i++) {
      const value = labels[this.labelNames[i]!];
      let next = level.get(value) as Map<string, unknown> | undefined;
      if (!next) level.set(value, (next = new Map()));
      level = next;
    }
    const value = labels[this.labelNames[last]!];
    let series = level.get(value) as S | undefined;
    if (!series) {
      const own = {} as Labels<L>;
      for (const name of this.labelNames) own[name] = labels[name];
      series = this.newSeries(own);
      level.set(value, series);
      this.series.push(series);
    }
    return series;
  }

  protected abstract newSeries(labels: Labels<L>): S;

  reset(): void {
    this.series = [];
    this.index = new Map();
  }
}

export class HotCounter<L extends string> extends HotMetric<L, { labels: Labels<L>; value: number }> {
  readonly type = 'counter' as const;

  inc(labels: Labels<L>, by = 1): void {
    this.seriesOf(labels).value += by;
  }

  protected newSeries(labels: Labels<L>) {
    return { labels, value: 0 };
  }

  async get() {
    const values = this.series.map((s) => ({ labels: { ...s.labels }, value: s.value }));
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}

interface HistogramSeries<L extends string> {
  labels: Labels<L>;
  /** Observations per bucket (not cumulative); the last slot counts those above every bound. */
  counts: number[];
  sum: number;
  count: number;
}

export class HotHistogram<L extends string> extends HotMetric<L, HistogramSeries<L>> {
  readonly type = 'histogram' as const;

  constructor(
    name: string,
    help: string,
    labelNames: readonly L[],
    private readonly buckets: readonly number[],
    registry: Registry,
  ) {
    super(name, help, labelNames, registry);
  }

  observe(labels: Labels<L>, value: number): void {
    const series = this.seriesOf(labels);
    let bucket = 0;
    while (bucket < this.buckets.length && value > this.buckets[bucket]!) bucket++;
    series.counts[bucket]! += 1;
    series.sum += value;
    series.count += 1;
  }

  protected newSeries(labels: Labels<L>): HistogramSeries<L> {
    return { labels, counts: new Array<number>(this.buckets.length + 1).fill(0), sum: 0, count: 0 };
  }

  async get() {
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
    for (const s of this.series) {
      let cumulative = 0;
      this.buckets.forEach((le, i) => {
        cumulative += s.counts[i]!;
        values.push({ labels: { le, ...s.labels }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { le: '+Inf', ...s.labels }, value: s.count, metricName: `${this.name}_bucket` });
      values.push({ labels: { ...s.labels }, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { ...s.labels }, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}
