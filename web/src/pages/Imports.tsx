// CSV imports: drop a file (optionally enrolling its leads into a campaign)
// and follow it to its summary; below, every import so far.
import { Stack, Text, Title } from "@mantine/core";
import { useState } from "react";
import { ImportHistory } from "../components/ImportHistory.tsx";
import { PageTitle } from "../components/States.tsx";
import { UploadCsv } from "../components/UploadCsv.tsx";

export function ImportsPage() {
  const [refreshKey, setRefreshKey] = useState(0);
  return (
    <Stack gap="lg">
      <div>
        <PageTitle>Imports</PageTitle>
        <Text size="sm" c="dimmed" mt={-8} mb="sm" maw={760}>
          Every row is kept as read; leads are de-duplicated by email and LinkedIn URL, and newer exports win. Columns are matched by name
          (Apollo&apos;s headers and common variants); unknown columns are kept with the lead. From a terminal:{" "}
          <Text span ff="monospace" size="sm">
            npx leadgraph import file.csv --wait
          </Text>{" "}
          (docs/sources/csv.md in the repository).
        </Text>
        <UploadCsv onUploaded={() => setRefreshKey((key) => key + 1)} />
      </div>
      <section aria-labelledby="import-history-title">
        <Title order={3} id="import-history-title" mb="sm">
          History
        </Title>
        <ImportHistory refreshKey={refreshKey} />
      </section>
    </Stack>
  );
}
