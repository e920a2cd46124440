// The charts of CampaignCharts.tsx, loaded on first use: the dashboard's
// numbers show at once and the charts chunk follows.
import { Skeleton } from "@mantine/core";
import { Suspense, lazy, type ComponentProps } from "react";

// Starts downloading with the dashboard's own chunk, beside its queries, not after them.
const charts = import("./CampaignCharts.tsx");
const LazyDailyChart = lazy(() => charts.then((m) => ({ default: m.DailyChart })));
const LazyStepChart = lazy(() => charts.then((m) => ({ default: m.StepChart })));

export function DailyChart(props: ComponentProps<typeof LazyDailyChart>) {
  return (
    <Suspense fallback={<Skeleton h={280} aria-label="Loading the chart" />}>
      <LazyDailyChart {...props} />
    </Suspense>
  );
}

export function StepChart(props: ComponentProps<typeof LazyStepChart>) {
  return (
    <Suspense fallback={<Skeleton h={200} aria-label="Loading the chart" />}>
      <LazyStepChart {...props} />
    </Suspense>
  );
}
