// One CSV import (docs/queries/import-status.graphql): its summary, its rows
// with outcome and reason (rejected rows, duplicates and the row that won),
// a download of the rejected rows, "Reprocess", and its leads.
import { Alert, Anchor, Breadcrumbs, Group, Stack, Text, Title } from "@mantine/core";
import { IconUsers } from "@tabler/icons-react";
import { useEffect, useRef, useState } from "react";
import { Link, useParams } from "react-router";
import { useQuery } from "urql";
import { ImportRejectedDownload } from "../components/ImportRejectedDownload.tsx";
import { ImportReprocess } from "../components/ImportReprocess.tsx";
import { ImportRowsTable } from "../components/ImportRowsTable.tsx";
import { ImportSummary, isFinished, useImportSummary } from "../components/ImportSummary.tsx";
import { Empty, ErrorNotice, Loading, PageTitle } from "../components/States.tsx";
import { formatBytes, formatDateTime } from "../format.ts";
import { graphql } from "../graphql.ts";

const ImportDetailsQuery = graphql(`
  query ImportDetails($importId: UUID!) {
    csvImport: csvImportsRaw(rowId: $importId) {
      rowId
      fileName
      fileSizeBytes
      headers
      importStatus
      uploadedAt
      processingStartedAt
      processingCompletedAt
      uploader {
        rowId
        fullName
        email
      }
      campaign {
        rowId
        campaignName
      }
      outcomes: rows {
        groupedAggregates(groupBy: OUTCOME) {
          keys
          distinctCount {
            rowNumber
          }
        }
      }
    }
  }
`);

const isUuid = (value: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);

export function ImportPage() {
  const { importId = "" } = useParams();
  const valid = isUuid(importId);
  const { summary, finished, refresh, error: summaryError } = useImportSummary(valid ? importId : null);
  // The details (outcome counts, headers) again each time processing finishes.
  const [{ data, error, fetching }, reexecuteDetails] = useQuery({
    query: ImportDetailsQuery,
    variables: { importId },
    pause: !valid,
    requestPolicy: "network-only",
  });
  const status = summary?.importStatus;
  const previousStatus = useRef(status);
  useEffect(() => {
    const previous = previousStatus.current;
    if (previous && !isFinished(previous) && isFinished(status)) reexecuteDetails({ requestPolicy: "network-only" });
    previousStatus.current = status;
  }, [status, reexecuteDetails]);
  const [actionError, setActionError] = useState<string | null>(null);
  const details = data?.csvImport;

  if (!valid || (data && !details))
    return (
      <Empty title="No such import">
        <Anchor component={Link} to="/imports">
          See all imports
        </Anchor>
      </Empty>
    );
  if ((error || summaryError) && !details) return <ErrorNotice error={(error ?? summaryError)!} title="Could not load the import" />;
  if ((fetching && !details) || !summary) return <Loading label="Loading the import…" />;
  if (!details) return null;

  const outcomeCounts = new Map<string, number>();
  for (const group of details.outcomes.groupedAggregates ?? []) {
    const outcome = group.keys?.[0];
    if (outcome) outcomeCounts.set(outcome, Number(group.distinctCount?.rowNumber ?? 0));
  }
  const headers = (details.headers ?? []).filter((h): h is string => h != null);

  return (
    <Stack gap="md">
      <div>
        <Breadcrumbs mb={4}>
          <Anchor component={Link} to="/imports" size="sm">
            Imports
          </Anchor>
          <Text size="sm" c="dimmed" truncate maw={260}>
            {details.fileName}
          </Text>
        </Breadcrumbs>
        <PageTitle
          right={
            <Group gap="xs">
              <ImportReprocess
                importId={importId}
                running={!finished}
                onStarted={() => {
                  setActionError(null);
                  refresh();
                }}
                onError={setActionError}
              />
              <ImportRejectedDownload
                importId={importId}
                fileName={details.fileName}
                headers={headers}
                rejected={summary.failedRows}
                onError={setActionError}
              />
            </Group>
          }
        >
          {details.fileName}
        </PageTitle>
        <Text size="sm" c="dimmed" mt={-8}>
          Uploaded {formatDateTime(details.uploadedAt)} by {details.uploader?.fullName ?? details.uploader?.email ?? "—"}
          {details.fileSizeBytes != null && ` · ${formatBytes(Number(details.fileSizeBytes))}`}
          {details.processingCompletedAt && ` · processed ${formatDateTime(details.processingCompletedAt)}`}
          {details.campaign && (
            <>
              {" · enrolled into "}
              <Anchor component={Link} to={`/campaigns/${details.campaign.rowId}`} size="sm">
                {details.campaign.campaignName}
              </Anchor>
            </>
          )}
        </Text>
      </div>
      {actionError && (
        <Alert color="red" role="alert" withCloseButton onClose={() => setActionError(null)}>
          {actionError}
        </Alert>
      )}
      <ImportSummary summary={summary} />
      <Group gap="md">
        <Anchor component={Link} to={`/leads?import=${importId}`}>
          <Group gap={4}>
            <IconUsers size={16} aria-hidden />
            See the leads from this import
          </Group>
        </Anchor>
      </Group>
      <section aria-labelledby="import-rows-title">
        <Title order={3} id="import-rows-title" mb="xs">
          Rows
        </Title>
        {finished ? (
          <ImportRowsTable
            key={`${summary.failedRows}-${summary.duplicateRows}-${summary.totalRows}`}
            importId={importId}
            headers={headers}
            outcomeCounts={outcomeCounts}
          />
        ) : (
          <Text size="sm" c="dimmed">
            The rows show with their outcomes once processing is done.
          </Text>
        )}
      </section>
    </Stack>
  );
}
