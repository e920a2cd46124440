// Calls on the lead page: "Call now" (queueCall: VAPI calls the lead at once,
// through a campaign that makes calls) with the state of the lead's latest
// call requests, and "Log a call" made by phone (logCall: a manual
// call_logged event). docs/sources/vapi-calls.md says what each refuses.
import { Alert, Anchor, Button, Card, Collapse, Group, Select, Stack, Text, Textarea, TextInput, Title } from "@mantine/core";
import { useDisclosure, useInterval } from "@mantine/hooks";
import { notifications } from "@mantine/notifications";
import { IconPhoneCall, IconPhonePlus } from "@tabler/icons-react";
import { useEffect, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { useMutation, useQuery } from "urql";
import { errorText } from "../client.ts";
import { formatDateTime, formatRelative } from "../format.ts";
import { graphql, present, type ResultOf } from "../graphql.ts";
import { CallRequestStateBadge } from "./CallRequests.tsx";

export const CallRequestSummaryFields = graphql(`
  fragment CallRequestSummary on VapiCallRequest @_unmask {
    rowId
    state
    reason
    customerNumber
    notBefore
    requestedAt
    placedAt
    attempts
    error
    vapiCallId
    campaign {
      rowId
      campaignName
    }
  }
`);

const LeadCallsQuery = graphql(
  `
    query LeadCalls($leadId: UUID!) {
      lead(rowId: $leadId) {
        rowId
        phone
        mobilePhone
        campaignLeads(first: 50) {
          nodes {
            rowId
            callStatus
            campaign {
              rowId
              campaignName
              campaignStatus
              usesCalls
              vapiAssistantId
              vapiPhoneNumberId
            }
          }
        }
        vapiCallRequests(first: 3, orderBy: [REQUESTED_AT_DESC]) {
          totalCount
          nodes {
            ...CallRequestSummary
          }
        }
      }
    }
  `,
  [CallRequestSummaryFields],
);

const QueueCallMutation = graphql(
  `
    mutation QueueCall($leadId: UUID!, $campaignId: UUID) {
      queueCall(input: { leadId: $leadId, campaignId: $campaignId }) {
        vapiCallRequest {
          ...CallRequestSummary
        }
      }
    }
  `,
  [CallRequestSummaryFields],
);

const LogCallMutation = graphql(`
  mutation LogCall($leadId: UUID!, $outcome: String!, $durationSeconds: Int, $note: String, $campaignId: UUID) {
    logCall(input: { leadId: $leadId, outcome: $outcome, durationSeconds: $durationSeconds, note: $note, campaignId: $campaignId }) {
      event {
        rowId
        eventTimestamp
      }
    }
  }
`);

type CallRequest = ResultOf<typeof CallRequestSummaryFields>;

/** logCall's outcomes (the API refuses others). */
export const CALL_OUTCOMES = [
  { value: "answered", label: "Answered" },
  { value: "no_answer", label: "No answer" },
  { value: "voicemail", label: "Voicemail" },
  { value: "busy", label: "Busy" },
  { value: "wrong_number", label: "Wrong number" },
];

const OPEN_STATES = ["queued", "placing"];
const POLL_MS = 3000;

/** "4:30", "4" (minutes), "90s", "" -> seconds, or an error. */
export function parseDuration(text: string): { seconds: number | null } | { error: string } {
  const value = text.trim();
  if (!value) return { seconds: null };
  let match = /^(\d+):([0-5]\d)$/.exec(value);
  if (match) return { seconds: Number(match[1]) * 60 + Number(match[2]) };
  match = /^(\d+)\s*s(ec(onds?)?)?$/i.exec(value);
  if (match) return { seconds: Number(match[1]) };
  match = /^(\d+(?:[.,]\d+)?)\s*(m(in(utes?)?)?)?$/i.exec(value);
  if (match) return { seconds: Math.round(Number(match[1]!.replace(",", ".")) * 60) };
  return { error: "Write it as minutes:seconds (4:30), minutes (4) or seconds (90s)" };
}

function requestWords(request: CallRequest): string {
  const campaign = request.campaign?.campaignName ? ` in ${request.campaign.campaignName}` : "";
  switch (request.state) {
    case "queued":
      return Date.parse(request.notBefore) > Date.now() + 60_000
        ? `Queued${campaign}, to be placed ${formatRelative(request.notBefore)} (${formatDateTime(request.notBefore)}).`
        : `Queued${campaign}: the worker places it in a moment.`;
    case "placing":
      return request.error
        ? `Placing${campaign}: the last attempt was unclear (${request.error}); it is checked with VAPI before trying again.`
        : `Being placed with VAPI${campaign}…`;
    case "placed":
      return `Placed${campaign} ${formatRelative(request.placedAt)}: the outcome shows in the timeline when VAPI reports it.`;
    case "failed":
      return `VAPI refused the call${campaign}: ${request.error ?? "no reason given"}.`;
    case "canceled":
      return `Canceled${campaign}.`;
    default:
      return request.state;
  }
}

export function LeadCall({ leadId, onChanged }: { leadId: string; onChanged: () => void }) {
  const [{ data, error }, reexecute] = useQuery({ query: LeadCallsQuery, variables: { leadId } });
  const lead = data?.lead;
  const callingCampaigns = present(lead?.campaignLeads.nodes)
    .map((membership) => membership.campaign)
    .filter((campaign): campaign is NonNullable<typeof campaign> => Boolean(campaign?.usesCalls));
  const requests = present(lead?.vapiCallRequests.nodes);
  const latest = requests[0];
  const open = latest && OPEN_STATES.includes(latest.state);

  const [campaignId, setCampaignId] = useState<string | null>(null);
  // With one campaign that calls, it is the one (the API picks it too).
  const onlyCampaign = callingCampaigns.length === 1 ? callingCampaigns[0]!.rowId : null;
  useEffect(() => {
    if (onlyCampaign) setCampaignId(onlyCampaign);
  }, [onlyCampaign]);
  const chosen = callingCampaigns.find((campaign) => campaign.rowId === campaignId);

  // While a call is queued or being placed, follow it.
  const poll = useInterval(() => reexecute({ requestPolicy: "network-only" }), POLL_MS);
  useEffect(() => {
    if (open) poll.start();
    else poll.stop();
    return poll.stop;
  }, [open, poll]);
  // A request that ends (placed, failed) changes the membership's call status.
  const [lastState, setLastState] = useState<string | undefined>();
  useEffect(() => {
    if (lastState && latest?.state !== lastState && !OPEN_STATES.includes(latest?.state ?? "")) onChanged();
    setLastState(latest?.state);
  }, [latest?.state, lastState, onChanged]);

  const [{ fetching: queueing }, queueCall] = useMutation(QueueCallMutation);
  const [queueError, setQueueError] = useState<string | null>(null);
  const callNow = async () => {
    setQueueError(null);
    const result = await queueCall({ leadId, campaignId: chosen?.rowId ?? null });
    if (result.error || !result.data?.queueCall?.vapiCallRequest) {
      setQueueError(errorText(result.error) ?? "No answer from the server");
      return;
    }
    notifications.show({ color: "green", message: "Call queued: VAPI places it in a moment." });
    reexecute({ requestPolicy: "network-only" });
    onChanged();
  };

  const [logOpened, { toggle: toggleLog, close: closeLog }] = useDisclosure(false);
  const needsPicker = callingCampaigns.length > 1;
  const noCallingCampaign = lead && callingCampaigns.length === 0;
  const missingSetup = chosen && (!chosen.vapiAssistantId || !chosen.vapiPhoneNumberId);

  return (
    <Card withBorder component="section" aria-labelledby="lead-calls-title">
      <Group justify="space-between" gap="xs" mb="xs" wrap="wrap">
        <Title order={3} size="h5" id="lead-calls-title">
          Calls
        </Title>
        <Group gap="xs">
          <Button
            leftSection={<IconPhoneCall size={16} aria-hidden />}
            onClick={() => void callNow()}
            loading={queueing}
            disabled={Boolean(open) || (needsPicker && !chosen)}
            title={needsPicker && !chosen ? "Choose the campaign first" : undefined}
          >
            Call now
          </Button>
          <Button variant="default" leftSection={<IconPhonePlus size={16} aria-hidden />} onClick={toggleLog} aria-expanded={logOpened}>
            Log a call
          </Button>
        </Group>
      </Group>
      <Stack gap="xs">
        {needsPicker && (
          <Select
            label="Campaign that calls"
            description="The lead is in several campaigns that make calls: the call uses this one's assistant and phone number."
            placeholder="Choose a campaign"
            data={callingCampaigns.map((campaign) => ({ value: campaign.rowId, label: campaign.campaignName }))}
            value={campaignId}
            onChange={setCampaignId}
            comboboxProps={{ withinPortal: true }}
            maw={420}
          />
        )}
        {lead && !latest && !noCallingCampaign && (
          <Text size="sm" c="dimmed">
            {lead.phone || lead.mobilePhone
              ? `"Call now" has VAPI call ${lead.phone || lead.mobilePhone}${chosen ? ` with ${chosen.campaignName}'s assistant` : ""}, at once.`
              : "No phone number on this lead: add one with its country code (+1 415 …) to call."}
          </Text>
        )}
        {noCallingCampaign && (
          <Text size="sm" c="dimmed">
            Not in a campaign that makes calls: &quot;Call now&quot; needs a campaign with calls on, a VAPI assistant and a phone number.
            Logging a call made by phone works without one.
          </Text>
        )}
        {missingSetup && (
          <Text size="sm" c="orange.8">
            {chosen.campaignName} has no VAPI {!chosen.vapiAssistantId ? "assistant" : "phone number"} set:{" "}
            <Anchor component={Link} to={`/campaigns/${chosen.rowId}`} size="sm">
              see its call settings
            </Anchor>
            .
          </Text>
        )}
        {queueError && (
          <Alert color="red" title="The call was not queued" role="alert" withCloseButton onClose={() => setQueueError(null)}>
            {queueError}
          </Alert>
        )}
        {error && !data && <Alert color="red">Could not load the lead&apos;s calls: {errorText(error)}</Alert>}
        {latest && (
          <Stack gap={4} role="status" aria-label="Latest call request" data-testid="lead-call-request" data-state={latest.state}>
            <Group gap="xs">
              <CallRequestStateBadge state={latest.state} />
              <Text size="xs" c="dimmed">
                {latest.reason === "manual" ? "Call now" : "Workflow"} · {latest.customerNumber} · asked{" "}
                <time dateTime={latest.requestedAt} title={formatDateTime(latest.requestedAt)}>
                  {formatRelative(latest.requestedAt)}
                </time>
              </Text>
            </Group>
            <Text size="sm" c={latest.state === "failed" ? "red.8" : undefined}>
              {requestWords(latest)}
            </Text>
            {(lead?.vapiCallRequests.totalCount ?? 0) > 1 && (
              <Anchor component={Link} to={`/calls?lead=${leadId}`} size="xs">
                All {lead?.vapiCallRequests.totalCount} call requests of this lead
              </Anchor>
            )}
          </Stack>
        )}
        <Collapse expanded={logOpened}>
          <LogCallForm
            leadId={leadId}
            campaigns={callingCampaigns}
            campaignId={chosen?.rowId ?? null}
            onLogged={() => {
              closeLog();
              reexecute({ requestPolicy: "network-only" });
              onChanged();
            }}
          />
        </Collapse>
      </Stack>
    </Card>
  );
}

function LogCallForm({
  leadId,
  campaigns,
  campaignId,
  onLogged,
}: {
  leadId: string;
  campaigns: { rowId: string; campaignName: string }[];
  campaignId: string | null;
  onLogged: () => void;
}) {
  const [outcome, setOutcome] = useState<string | null>("answered");
  const [duration, setDuration] = useState("");
  const [note, setNote] = useState("");
  const [campaign, setCampaign] = useState<string | null>(campaignId);
  useEffect(() => setCampaign(campaignId), [campaignId]);
  const [error, setError] = useState<string | null>(null);
  const [{ fetching }, logCall] = useMutation(LogCallMutation);
  const parsed = parseDuration(duration);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!outcome || "error" in parsed || fetching) return;
    const result = await logCall({ leadId, outcome, durationSeconds: parsed.seconds, note: note.trim() || null, campaignId: campaign });
    if (result.error) {
      setError(errorText(result.error) ?? "The call could not be logged.");
      return;
    }
    setError(null);
    setDuration("");
    setNote("");
    notifications.show({ color: "green", message: "Call logged in the timeline." });
    onLogged();
  };

  return (
    <Stack component="form" gap="xs" onSubmit={(event: FormEvent) => void submit(event)} aria-label="Log a call" pt="xs">
      <Group gap="xs" align="flex-start" wrap="wrap">
        <Select
          label="Outcome"
          data={CALL_OUTCOMES}
          value={outcome}
          onChange={setOutcome}
          allowDeselect={false}
          w={170}
          comboboxProps={{ withinPortal: true }}
        />
        <TextInput
          label="Duration"
          placeholder="4:30"
          value={duration}
          onChange={(event) => setDuration(event.currentTarget.value)}
          error={"error" in parsed ? parsed.error : undefined}
          w={150}
        />
        {campaigns.length > 0 && (
          <Select
            label="Campaign"
            placeholder="None"
            clearable
            data={campaigns.map((c) => ({ value: c.rowId, label: c.campaignName }))}
            value={campaign}
            onChange={setCampaign}
            w={220}
            comboboxProps={{ withinPortal: true }}
          />
        )}
      </Group>
      <Textarea
        label="Call note"
        placeholder="What was said, the next step…"
        autosize
        minRows={2}
        maxRows={8}
        value={note}
        onChange={(event) => setNote(event.currentTarget.value)}
      />
      {error && (
        <Text size="sm" c="red" role="alert">
          {error}
        </Text>
      )}
      <Group justify="flex-end">
        <Button type="submit" loading={fetching} disabled={!outcome || "error" in parsed}>
          Save call
        </Button>
      </Group>
    </Stack>
  );
}
