// The charts of CampaignCharts.tsx, loaded on first use: the dashboard's
// numbers show at once and the charts chunk follows.
import { Skeleton } from "@mantine/core";
import { Suspense, lazy, type ComponentProps } from "react";

// Starts downloading with the dashboard's own chunk, beside its queries, not
// after them. Once it is here the charts render directly: a suspended
// boundary would hold its fallback for at least 300 ms (React).
let loaded: typeof import("./CampaignCharts.tsx") | undefined;
const charts = import("./CampaignCharts.tsx").then((module) => (loaded = module));
const LazyDailyChart = lazy(() => charts.then((m) => ({ default: m.DailyChart })));
const LazyStepChart = lazy(() => charts.then((m) => ({ default: m.StepChart })));

export function DailyChart(props: ComponentProps<typeof LazyDailyChart>) {
  if (loaded) return <loaded.DailyChart {...props} />;
  return (
    <Suspense fallback={<Skeleton h={280} aria-label="Loading the chart" />}>
      <LazyDailyChart {...props} />
    </Suspense>
  );
}

export function StepChart(props: ComponentProps<typeof LazyStepChart>) {
  if (loaded) return <loaded.StepChart {...props} />;
  return (
    <Suspense fallback={<Skeleton h={200} aria-label="Loading the chart" />}>
      <LazyStepChart {...props} />
    </Suspense>
  );
}
