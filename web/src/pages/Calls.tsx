// Calls (/calls): the outbox of calls leadgraph places through VAPI, the
// memberships due a call now, the recent calls, and the VAPI sync: runs,
// "Sync now" (createVapiSyncRequest, picked up by the worker), records set
// aside and webhook deliveries. `?lead=<id>` narrows the outbox to one lead.
import { Alert, Anchor, Button, Code, List, Stack, Text, Title } from "@mantine/core";
import { useDocumentTitle } from "@mantine/hooks";
import { IconRefresh } from "@tabler/icons-react";
import { useEffect, useState } from "react";
import { Link, useSearchParams } from "react-router";
import { useMutation, useQuery } from "urql";
import { errorText } from "../client.ts";
import { CallOutbox } from "../components/CallRequests.tsx";
import { CallsDue } from "../components/CallsDue.tsx";
import { RecentCalls } from "../components/RecentCalls.tsx";
import { ErrorNotice, Loading, PageTitle } from "../components/States.tsx";
import { NIL_UUID, SyncProgress, useSyncRequest } from "../components/SyncStatus.tsx";
import { VapiRejects, VapiSyncRunFields, VapiSyncRuns, VapiWebhooks } from "../components/VapiSync.tsx";
import { graphql, present } from "../graphql.ts";

const CallsPageQuery = graphql(
  `
    query CallsPage($first: Int!, $offset: Int!, $requestId: UUID!, $withRequest: Boolean!) {
      vapiSyncRuns(first: $first, offset: $offset, orderBy: [STARTED_AT_DESC]) {
        totalCount
        nodes {
          ...VapiSyncRunFields
        }
      }
      calls: events(filter: { or: [{ eventSource: { equalTo: "vapi" } }, { eventType: { equalTo: "call_logged" } }] }) {
        totalCount
      }
      requests: vapiCallRequests {
        totalCount
      }
      request: vapiSyncRequest(rowId: $requestId) @include(if: $withRequest) {
        rowId
        runId
        run {
          rowId
          status
        }
      }
    }
  `,
  [VapiSyncRunFields],
);

const SyncVapiNowMutation = graphql(`
  mutation SyncVapiNow {
    createVapiSyncRequest(input: { vapiSyncRequest: {} }) {
      vapiSyncRequest {
        rowId
        runId
      }
    }
  }
`);

const PAGE_SIZE = 5;

export function CallsPage() {
  useDocumentTitle("Calls · leadgraph");
  const [params] = useSearchParams();
  const leadId = params.get("lead");
  const [page, setPage] = useState(1);
  const [requestId, setRequestId] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [{ data, fetching, error }, reexecute] = useQuery({
    query: CallsPageQuery,
    variables: { first: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE, requestId: requestId ?? NIL_UUID, withRequest: requestId != null },
  });
  const [{ fetching: requesting }, syncNow] = useMutation(SyncVapiNowMutation);

  const runs = present(data?.vapiSyncRuns?.nodes);
  const running = runs.some((run) => run.status === "running");
  const requestRun = data?.request?.run;
  const sync = useSyncRequest({ running, requestRunStatus: requestRun?.status, reexecute });
  const { polling, waitingForWorker } = sync;
  useEffect(() => setRequestId(sync.requestId), [sync.requestId]);
  // "Call now" on a due row, a canceled call, the end of a sync: the other lists change too.
  const [changed, setChanged] = useState(0);
  const refreshKey = sync.refreshKey + changed;
  const bump = () => setChanged((n) => n + 1);

  const start = async () => {
    setActionError(null);
    const result = await syncNow({});
    const created = result.data?.createVapiSyncRequest?.vapiSyncRequest;
    if (result.error || !created) setActionError(`Could not ask for a sync: ${errorText(result.error) ?? "no answer"}`);
    else {
      setPage(1);
      sync.requested(created.rowId);
    }
  };

  const totalRuns = data?.vapiSyncRuns?.totalCount ?? 0;
  const latest = runs[0];
  const keyProblem = latest?.error && /VAPI_API_KEY|API key|401|403/i.test(latest.error);
  const notSetUp = data && totalRuns === 0 && (data.calls?.totalCount ?? 0) === 0 && (data.requests?.totalCount ?? 0) === 0;

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
          Calls
        </PageTitle>
        <Text size="sm" c="dimmed" mt={-8} maw={760}>
          leadgraph calls emailed leads who did not reply through VAPI (campaigns with calls on), and reads every call back from VAPI&apos;s
          webhooks and API into the timeline. How it works: docs/sources/vapi-calls.md.
        </Text>
      </div>
      {actionError && (
        <Alert color="red" role="alert" withCloseButton onClose={() => setActionError(null)}>
          {actionError}
        </Alert>
      )}
      <SyncProgress polling={polling} started={Boolean(requestRun || running)} waitingForWorker={waitingForWorker} />
      {error && <ErrorNotice error={error} title="Could not load the calls" />}
      {(notSetUp || keyProblem) && <SetupHint keyError={keyProblem ? (latest?.error ?? null) : null} />}
      <section aria-labelledby="outbox-title">
        <Title order={3} id="outbox-title" mb="xs">
          Outbox
          {leadId && (
            <Text span size="sm" c="dimmed" fw={400} ml="xs">
              one lead&apos;s calls ·{" "}
              <Anchor component={Link} to="/calls" size="sm">
                show all
              </Anchor>
            </Text>
          )}
        </Title>
        <CallOutbox leadId={leadId} refreshKey={refreshKey} onChanged={bump} />
      </section>
      <section aria-labelledby="due-title">
        <Title order={3} id="due-title" mb="xs">
          Due now
        </Title>
        <CallsDue refreshKey={refreshKey} onQueued={bump} />
      </section>
      <section aria-labelledby="recent-calls-title">
        <Title order={3} id="recent-calls-title" mb="xs">
          Recent calls
        </Title>
        <RecentCalls refreshKey={refreshKey} />
      </section>
      <section aria-labelledby="vapi-sync-title">
        <Title order={3} id="vapi-sync-title" mb="xs">
          VAPI sync runs
        </Title>
        {!data && fetching ? (
          <Loading label="Loading the sync runs…" />
        ) : (
          <VapiSyncRuns
            runs={runs}
            total={totalRuns}
            page={page}
            pageSize={PAGE_SIZE}
            onPageChange={setPage}
            fetching={fetching && !data}
          />
        )}
      </section>
      <section aria-labelledby="vapi-rejects-title">
        <Title order={3} id="vapi-rejects-title" mb="xs">
          Records set aside
        </Title>
        <VapiRejects refreshKey={refreshKey} />
      </section>
      <section aria-labelledby="vapi-webhooks-title">
        <Title order={3} id="vapi-webhooks-title" mb="xs">
          Webhook deliveries
        </Title>
        <VapiWebhooks refreshKey={refreshKey} />
      </section>
    </Stack>
  );
}

function SetupHint({ keyError }: { keyError: string | null }) {
  return (
    <Alert color={keyError ? "red" : "blue"} title={keyError ? "VAPI refused the API key" : "Calls are not set up yet"}>
      {keyError && (
        <Text size="sm" mb="xs">
          {keyError}
        </Text>
      )}
      <List size="sm" spacing={4}>
        <List.Item>
          In VAPI&apos;s dashboard, copy the <b>private</b> API key and set it for the worker: <Code>VAPI_API_KEY=… npm start</Code>. With
          it the worker syncs calls and places the calls that are due.
        </List.Item>
        <List.Item>
          Point the assistant&apos;s (or the phone number&apos;s) server URL at <Code>https://&lt;your leadgraph&gt;/webhooks/vapi</Code>{" "}
          with a secret, and give leadgraph the same secret: <Code>VAPI_WEBHOOK_SECRET=…</Code>. Calls then show up as they end.
        </List.Item>
        <List.Item>
          Turn calls on in a campaign and give it the ids of the VAPI assistant and phone number that call (updateCampaign: usesCalls,
          vapiAssistantId, vapiPhoneNumberId); its dashboard shows its call settings.{" "}
          <Anchor component={Link} to="/campaigns" size="sm">
            Campaigns
          </Anchor>
        </List.Item>
        <List.Item>
          No account? <Code>npm run dev:vapi</Code> starts a fake VAPI (docs/sources/vapi-fake.md): set <Code>VAPI_API_URL</Code> to the URL
          it prints.
        </List.Item>
      </List>
    </Alert>
  );
}
