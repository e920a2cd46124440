// The dashboard's charts. Only loaded through React.lazy (CampaignChartsLazy.tsx),
// so Recharts and @mantine/charts stay in their own `charts` chunk
// (web/vite.config.ts) and the rest of the app does not wait for them.
import "@mantine/charts/styles.css";
import { BarChart, CompositeChart } from "@mantine/charts";

export interface DailyPoint {
  date: string;
  sent: number;
  opened: number;
  replied: number;
  bounced: number;
}

const dayLabel = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", timeZone: "UTC" });
const shortDate = (date: string) => dayLabel.format(new Date(`${date}T00:00:00Z`));

/** Sends as bars on the left axis; opens, replies and bounces (far fewer) as lines on the right one. */
export function DailyChart({ data }: { data: DailyPoint[] }) {
  return (
    <CompositeChart
      h={280}
      data={data.map((point) => ({ ...point, day: shortDate(point.date) }))}
      dataKey="day"
      withLegend
      withRightYAxis
      yAxisProps={{ allowDecimals: false }}
      rightYAxisProps={{ allowDecimals: false }}
      yAxisLabel="Sent"
      rightYAxisLabel="Opened, replied, bounced"
      maxBarWidth={24}
      withDots={data.length <= 31}
      curveType="linear"
      series={[
        { name: "sent", label: "Sent", color: "indigo.3", type: "bar" },
        { name: "opened", label: "Opened", color: "cyan.6", type: "line", yAxisId: "right" },
        { name: "replied", label: "Replied", color: "teal.7", type: "line", yAxisId: "right" },
        { name: "bounced", label: "Bounced", color: "red.6", type: "line", yAxisId: "right" },
      ]}
    />
  );
}

export function StepChart({ data }: { data: { step: string; replied: number }[] }) {
  return (
    <BarChart
      h={200}
      data={data}
      dataKey="step"
      series={[{ name: "replied", label: "Replied", color: "teal.6" }]}
      maxBarWidth={48}
      yAxisProps={{ allowDecimals: false }}
      withBarValueLabel
    />
  );
}
