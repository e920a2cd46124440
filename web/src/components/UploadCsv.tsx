// Drop a CSV (leads, or LinkedIn activity: the kind, sent as ?kind=, is
// detected from the columns unless chosen), optionally enrol its leads into
// a campaign, and follow it:
// upload progress in bytes (XMLHttpRequest: fetch has no upload progress),
// then "storing rows" until POST /imports answers (it answers once every row
// is stored, src/sources/csv/http.ts), then the normaliser's progress polled
// from csvImportsRaw, then the summary.
import { Alert, Anchor, Button, Group, Paper, Progress, Radio, Select, Stack, Text } from "@mantine/core";
import { Dropzone } from "@mantine/dropzone";
import { IconFileSpreadsheet, IconUpload, IconX } from "@tabler/icons-react";
import { useEffect, useRef, useState, type InputHTMLAttributes } from "react";
import { Link } from "react-router";
import { useQuery } from "urql";
import { authHeaders } from "../auth.ts";
import { formatBytes, formatNumber } from "../format.ts";
import { graphql, present } from "../graphql.ts";
import { ImportSummary, useImportSummary } from "./ImportSummary.tsx";

const UploadCampaignsQuery = graphql(`
  query UploadCampaigns {
    campaigns(orderBy: [CAMPAIGN_NAME_ASC], first: 500) {
      nodes {
        rowId
        campaignName
        campaignStatus
      }
    }
  }
`);

type Phase =
  | { kind: "idle" }
  | { kind: "uploading"; fileName: string; loaded: number; total: number }
  | { kind: "storing"; fileName: string; total: number }
  | { kind: "processing"; fileName: string; importId: string; totalRows: number; importKind?: string; kindReason?: string }
  | { kind: "error"; fileName?: string; message: string };

/** The CSV types browsers report (Windows says Excel for .csv, some say nothing and we go by the extension). */
const ACCEPT = {
  "text/csv": [".csv"],
  "application/csv": [".csv"],
  "text/plain": [".csv", ".txt", ".tsv"],
  "text/tab-separated-values": [".tsv"],
  "application/vnd.ms-excel": [".csv"],
};

interface UploadAnswer {
  importId?: string;
  totalRows?: number;
  /** leads or linkedin, and why (given, or what the detection saw). */
  kind?: string;
  kindReason?: string;
  error?: string;
}

type KindChoice = "auto" | "leads" | "linkedin";
const KINDS: Array<{ value: KindChoice; label: string }> = [
  { value: "auto", label: "Detect from the columns" },
  { value: "leads", label: "Leads (Apollo etc.)" },
  { value: "linkedin", label: "LinkedIn activity" },
];
const KIND_WORDS: Record<string, string> = { leads: "leads", linkedin: "LinkedIn activity" };

export function UploadCsv({ onUploaded }: { onUploaded?: () => void }) {
  const [phase, setPhase] = useState<Phase>({ kind: "idle" });
  const [campaignId, setCampaignId] = useState<string | null>(null);
  const [kind, setKind] = useState<KindChoice>("auto");
  const xhrRef = useRef<XMLHttpRequest | null>(null);
  const openRef = useRef<() => void>(null);
  const [{ data: campaigns }] = useQuery({ query: UploadCampaignsQuery });
  const importId = phase.kind === "processing" ? phase.importId : null;
  const { summary, finished, error: pollError } = useImportSummary(importId);
  const onUploadedRef = useRef(onUploaded);
  onUploadedRef.current = onUploaded;

  useEffect(() => () => xhrRef.current?.abort(), []);
  useEffect(() => {
    if (importId) onUploadedRef.current?.();
  }, [importId, finished]);

  const upload = (file: File) => {
    const params = new URLSearchParams({ filename: file.name });
    if (campaignId) params.set("campaign", campaignId);
    if (kind !== "auto") params.set("kind", kind);
    const xhr = new XMLHttpRequest();
    xhrRef.current = xhr;
    xhr.open("POST", `/imports?${params}`);
    for (const [name, value] of Object.entries(authHeaders())) xhr.setRequestHeader(name, value);
    // The raw file as the body: the server streams it into the import.
    xhr.setRequestHeader("Content-Type", "text/csv");
    xhr.upload.onprogress = (event) =>
      setPhase({ kind: "uploading", fileName: file.name, loaded: event.loaded, total: event.lengthComputable ? event.total : file.size });
    xhr.upload.onload = () => setPhase({ kind: "storing", fileName: file.name, total: file.size });
    xhr.onload = () => {
      xhrRef.current = null;
      let answer: UploadAnswer = {};
      try {
        answer = JSON.parse(xhr.responseText) as UploadAnswer;
      } catch {
        // Not JSON: a proxy's error page, say; the status says enough.
      }
      if (xhr.status === 201 && answer.importId)
        setPhase({
          kind: "processing",
          fileName: file.name,
          importId: answer.importId,
          totalRows: answer.totalRows ?? 0,
          importKind: answer.kind,
          kindReason: answer.kindReason,
        });
      else
        setPhase({
          kind: "error",
          fileName: file.name,
          message: answer.error ?? `The server answered ${xhr.status} ${xhr.statusText}; nothing was imported.`,
        });
    };
    xhr.onerror = () => {
      xhrRef.current = null;
      setPhase({
        kind: "error",
        fileName: file.name,
        message: "The upload did not reach the server (network error). Is leadgraph running?",
      });
    };
    xhr.onabort = () => {
      xhrRef.current = null;
      setPhase({ kind: "idle" });
    };
    setPhase({ kind: "uploading", fileName: file.name, loaded: 0, total: file.size });
    xhr.send(file);
  };

  const busy = phase.kind === "uploading" || phase.kind === "storing" || (phase.kind === "processing" && !finished);
  const campaignOptions = present(campaigns?.campaigns?.nodes).map((c) => ({
    value: c.rowId,
    label: `${c.campaignName} (${c.campaignStatus})`,
  }));

  return (
    <Stack gap="sm">
      <Radio.Group
        label="What the file holds"
        description="LinkedIn activity: an export of HeyReach, Expandi, lemlist, PhantomBuster, Dripify… (one event per touch)."
        value={kind}
        onChange={(value) => setKind(value as KindChoice)}
      >
        <Group gap="lg" mt={6}>
          {KINDS.map((k) => (
            <Radio key={k.value} value={k.value} label={k.label} disabled={busy} />
          ))}
        </Group>
      </Radio.Group>
      <Select
        label="Enrol into campaign (optional)"
        description={
          kind === "linkedin"
            ? "The touches are recorded in this campaign (instead of the one a campaign column names), their leads added once."
            : "The imported leads are added to this campaign as pending, each lead once."
        }
        placeholder="No campaign"
        data={campaignOptions}
        value={campaignId}
        onChange={setCampaignId}
        searchable
        clearable
        disabled={busy}
        maw={480}
        nothingFoundMessage="No campaign of that name"
      />
      <Dropzone
        openRef={openRef}
        onDrop={(files) => files[0] && upload(files[0])}
        onReject={(rejections) =>
          setPhase({
            kind: "error",
            fileName: rejections[0]?.file.name,
            message: `${rejections[0]?.file.name ?? "That file"} is not a CSV file: drop a .csv (or .tsv / .txt) export.`,
          })
        }
        accept={ACCEPT}
        multiple={false}
        maxFiles={1}
        disabled={busy}
        useFsAccessApi={false}
        activateOnClick
        inputProps={{ "aria-label": "CSV file to import", "data-testid": "csv-file-input" } as InputHTMLAttributes<HTMLInputElement>}
        aria-label="Drop a CSV file here, or press Enter to choose one"
      >
        <Group justify="center" gap="lg" mih={120} style={{ pointerEvents: "none" }} wrap="nowrap">
          <div style={{ flexShrink: 0, display: "flex" }}>
            <Dropzone.Accept>
              <IconUpload size={44} stroke={1.5} color="var(--mantine-color-indigo-6)" />
            </Dropzone.Accept>
            <Dropzone.Reject>
              <IconX size={44} stroke={1.5} color="var(--mantine-color-red-6)" />
            </Dropzone.Reject>
            <Dropzone.Idle>
              <IconFileSpreadsheet size={44} stroke={1.5} color="var(--mantine-color-dimmed)" />
            </Dropzone.Idle>
          </div>
          <div>
            <Text size="lg" inline>
              Drop a CSV file here or click to choose one
            </Text>
            <Text size="sm" c="dimmed" mt={7}>
              An Apollo export or any CSV with email, LinkedIn or name columns, or a LinkedIn outreach tool's activity export: comma,
              semicolon or tab separated, UTF-8.
            </Text>
          </div>
        </Group>
      </Dropzone>
      <UploadState phase={phase} onCancel={() => xhrRef.current?.abort()} />
      {phase.kind === "processing" && (
        <>
          {phase.importKind && (
            <Text size="sm" data-testid="import-kind">
              Imported as {KIND_WORDS[phase.importKind] ?? phase.importKind}
              {phase.kindReason && phase.kindReason !== "given" ? ` (${phase.kindReason})` : ""}.
            </Text>
          )}
          {pollError && <Alert color="red">Could not read the import's progress: {pollError.message}</Alert>}
          {summary ? (
            <ImportSummary summary={summary} />
          ) : (
            <Text size="sm" c="dimmed">
              Stored {formatNumber(phase.totalRows)} rows; waiting for the worker…
            </Text>
          )}
          {finished && (
            <Group gap="md">
              <Anchor component={Link} to={`/imports/${phase.importId}`}>
                Open the import (rows, rejections, duplicates)
              </Anchor>
              <Anchor component={Link} to={`/leads?import=${phase.importId}`}>
                See the imported leads
              </Anchor>
              <Button variant="light" size="xs" onClick={() => setPhase({ kind: "idle" })}>
                Import another file
              </Button>
            </Group>
          )}
        </>
      )}
    </Stack>
  );
}

function UploadState({ phase, onCancel }: { phase: Phase; onCancel: () => void }) {
  if (phase.kind === "uploading")
    return (
      <Paper withBorder p="sm" radius="md" role="status" aria-live="polite">
        <Group justify="space-between" mb={4}>
          <Text size="sm">Uploading {phase.fileName}…</Text>
          <Group gap="xs">
            <Text size="sm" c="dimmed" data-testid="upload-bytes">
              {formatBytes(phase.loaded)} / {formatBytes(phase.total)}
            </Text>
            <Button size="compact-xs" variant="subtle" color="red" onClick={onCancel}>
              Cancel
            </Button>
          </Group>
        </Group>
        <Progress value={phase.total ? (phase.loaded / phase.total) * 100 : 0} aria-label="Upload progress" />
      </Paper>
    );
  if (phase.kind === "storing")
    return (
      <Paper withBorder p="sm" radius="md" role="status" aria-live="polite">
        <Group justify="space-between" mb={4}>
          <Text size="sm">Storing rows of {phase.fileName}…</Text>
          <Text size="sm" c="dimmed">
            {formatBytes(phase.total)} uploaded
          </Text>
        </Group>
        <Progress value={100} animated striped aria-label="Storing rows" />
      </Paper>
    );
  if (phase.kind === "error")
    return (
      <Alert color="red" title={phase.fileName ? `${phase.fileName} was not imported` : "Not imported"} role="alert">
        {phase.message}
      </Alert>
    );
  return null;
}
