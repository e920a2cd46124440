// Instantly: the sync runs and their parts, "Sync now"
// (createInstantlySyncRequest, picked up by the worker), the records set
// aside and the webhook deliveries. Polls while a run is running.
import { Alert, Button, Code, List, Stack, Text, Title } from "@mantine/core";
import { IconRefresh } from "@tabler/icons-react";
import { useEffect, useState } from "react";
import { useMutation, useQuery } from "urql";
import { errorText } from "../client.ts";
import { InstantlyRejects } from "../components/InstantlyRejects.tsx";
import { InstantlySyncRuns, SyncRunFields } from "../components/InstantlySyncRuns.tsx";
import { InstantlyWebhooks } from "../components/InstantlyWebhooks.tsx";
import { ErrorNotice, Loading, PageTitle } from "../components/States.tsx";
import { NIL_UUID, SyncProgress, useSyncRequest } from "../components/SyncStatus.tsx";
import { graphql, present, readFragment } from "../graphql.ts";

const InstantlySyncQuery = graphql(
  `
    query InstantlySync($first: Int!, $offset: Int!, $requestId: UUID!, $withRequest: Boolean!) {
      instantlySyncRuns(first: $first, offset: $offset, orderBy: [STARTED_AT_DESC]) {
        totalCount
        nodes {
          ...SyncRunFields
        }
      }
      request: instantlySyncRequest(rowId: $requestId) @include(if: $withRequest) {
        rowId
        runId
        run {
          rowId
          status
        }
      }
    }
  `,
  [SyncRunFields],
);

const SyncNowMutation = graphql(`
  mutation SyncInstantlyNow {
    createInstantlySyncRequest(input: { instantlySyncRequest: {} }) {
      instantlySyncRequest {
        rowId
        runId
      }
    }
  }
`);

const PAGE_SIZE = 10;

export function InstantlyPage() {
  const [page, setPage] = useState(1);
  const [requestId, setRequestId] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [{ data, fetching, error }, reexecute] = useQuery({
    query: InstantlySyncQuery,
    variables: { first: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE, requestId: requestId ?? NIL_UUID, withRequest: requestId != null },
  });
  const [{ fetching: requesting }, syncNow] = useMutation(SyncNowMutation);

  const runs = readFragment(SyncRunFields, present(data?.instantlySyncRuns?.nodes));
  const running = runs.some((run) => run.status === "running");
  const requestRun = data?.request?.run;
  const sync = useSyncRequest({ running, requestRunStatus: requestRun?.status, reexecute });
  const { polling, waitingForWorker, refreshKey } = sync;
  // The hook forgets the request when its run ends: so does the query.
  useEffect(() => setRequestId(sync.requestId), [sync.requestId]);

  const start = async () => {
    setActionError(null);
    const result = await syncNow({});
    const created = result.data?.createInstantlySyncRequest?.instantlySyncRequest;
    if (result.error || !created) setActionError(`Could not ask for a sync: ${errorText(result.error) ?? "no answer"}`);
    else {
      setPage(1);
      sync.requested(created.rowId);
    }
  };

  const latest = runs[0];
  const keyProblem = latest?.error && /INSTANTLY_API_KEY|API key|401|403/i.test(latest.error);
  const total = data?.instantlySyncRuns?.totalCount ?? 0;

  return (
    <Stack gap="lg">
      <div>
        <PageTitle
          right={
            <Button leftSection={<IconRefresh size={16} />} onClick={() => void start()} loading={requesting} disabled={polling}>
              {polling ? "Syncing…" : "Sync now"}
            </Button>
          }
        >
          Instantly
        </PageTitle>
        <Text size="sm" c="dimmed" mt={-8} maw={760}>
          The sync reads campaigns, sending accounts, analytics, emails and leads through Instantly&apos;s API v2; the worker runs it on a
          schedule when <Code>INSTANTLY_API_KEY</Code> is set (every 10 minutes by default, <Code>INSTANTLY_SYNC_SCHEDULE</Code>).
        </Text>
      </div>
      {actionError && (
        <Alert color="red" role="alert" withCloseButton onClose={() => setActionError(null)}>
          {actionError}
        </Alert>
      )}
      <SyncProgress polling={polling} started={Boolean(requestRun || running)} waitingForWorker={waitingForWorker} />
      {error && <ErrorNotice error={error} title="Could not load the sync runs" />}
      {(keyProblem || (data && total === 0)) && <SetupHint noRuns={total === 0} error={latest?.error ?? null} />}
      <section aria-labelledby="sync-runs-title">
        <Title order={3} id="sync-runs-title" mb="xs">
          Sync runs
        </Title>
        {!data && fetching ? (
          <Loading label="Loading the sync runs…" />
        ) : (
          <InstantlySyncRuns
            runs={runs}
            total={total}
            page={page}
            pageSize={PAGE_SIZE}
            onPageChange={setPage}
            fetching={fetching && !data}
          />
        )}
      </section>
      <section aria-labelledby="rejects-title">
        <Title order={3} id="rejects-title" mb="xs">
          Records set aside
        </Title>
        <InstantlyRejects refreshKey={refreshKey} />
      </section>
      <section aria-labelledby="webhooks-title">
        <Title order={3} id="webhooks-title" mb="xs">
          Webhook deliveries
        </Title>
        <InstantlyWebhooks refreshKey={refreshKey} />
      </section>
    </Stack>
  );
}

function SetupHint({ noRuns, error }: { noRuns: boolean; error: string | null }) {
  const title = noRuns
    ? "Instantly has not been synced yet"
    : error && /not set/i.test(error)
      ? "The worker has no Instantly API key"
      : "Instantly refused the API key";
  return (
    <Alert color={noRuns ? "blue" : "red"} title={title}>
      <List size="sm" spacing={4}>
        <List.Item>
          Create an API key in Instantly (Settings → Integrations → API Keys, scopes <Code>all:read</Code>) and set it for the worker:{" "}
          <Code>INSTANTLY_API_KEY=… npm start</Code>.
        </List.Item>
        <List.Item>
          Then press <b>Sync now</b>, or run <Code>npx leadgraph sync instantly --wait</Code>. How the sync works:
          docs/sources/instantly.md.
        </List.Item>
        <List.Item>
          No account? <Code>npx leadgraph demo</Code> fills an empty workspace with a fake Instantly workspace and an Apollo-like CSV.
        </List.Item>
      </List>
    </Alert>
  );
}
