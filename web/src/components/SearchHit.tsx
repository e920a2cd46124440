// One search hit: where it came from, what it was, when, whose, and the
// passage that matched, with the query's words highlighted.
import { Anchor, Badge, Group, Mark, Paper, Text, type TextProps } from "@mantine/core";
import { IconBrandLinkedin, IconMail, IconNote, IconPhone, IconSettings } from "@tabler/icons-react";
import { Link } from "react-router";
import { formatDateTime } from "../format.ts";
import { graphql, type ResultOf } from "../graphql.ts";
import { NO_ELLIPSIS } from "./CampaignBadges.tsx";

export const SearchHitFields = graphql(`
  fragment SearchHitFields on Event {
    rowId
    eventSource
    eventType
    eventTimestamp
    emailSubject
    emailBody
    emailFrom
    noteText
    callTranscript
    callOutcome
    linkedinMessageText
    leadId
    lead {
      rowId
      fullName
      email
      company {
        rowId
        companyName
      }
    }
    campaign {
      rowId
      campaignName
    }
  }
`);

type Hit = ResultOf<typeof SearchHitFields>;

const SOURCES: Record<string, { label: string; color: string; icon: typeof IconMail }> = {
  instantly: { label: "Email", color: "indigo", icon: IconMail },
  vapi: { label: "Call", color: "grape", icon: IconPhone },
  linkedin: { label: "LinkedIn", color: "blue", icon: IconBrandLinkedin },
  manual: { label: "Note", color: "teal", icon: IconNote },
  system: { label: "System", color: "gray", icon: IconSettings },
};

/**
 * The words to highlight: the query's words (web-search syntax: "phrases",
 * OR, -excluded), cut to a stem-like prefix since the search matches
 * English stems ("meetings" finds "meeting").
 */
export function highlightTerms(query: string): string[] {
  const words = query
    .replace(/"/g, " ")
    .split(/\s+/)
    .filter((word) => word && word !== "OR" && !word.startsWith("-"));
  return [...new Set(words.map((word) => word.toLowerCase().slice(0, Math.max(4, word.length - 2))))].filter((w) => w.length > 1);
}

/** About `size` characters of `text` around the first match of a term. */
export function snippetOf(text: string, terms: string[], size = 240): string {
  const flat = text.replace(/\s+/g, " ").trim();
  if (flat.length <= size) return flat;
  const lower = flat.toLowerCase();
  const positions = terms.map((term) => lower.indexOf(term)).filter((i) => i >= 0);
  const at = positions.length ? Math.min(...positions) : 0;
  const start = Math.max(0, Math.min(at - Math.floor(size / 3), flat.length - size));
  const cut = flat.slice(start, start + size);
  return `${start > 0 ? "…" : ""}${cut}${start + size < flat.length ? "…" : ""}`;
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** `text` with every word that starts with one of `terms` marked. */
function Highlighted({ text, terms, ...props }: { text: string; terms: string[] } & TextProps & { "data-testid"?: string }) {
  if (terms.length === 0) return <Text {...props}>{text}</Text>;
  const words = new RegExp(`(?<![\\p{L}\\p{N}])(?:${terms.map(escape).join("|")})[\\p{L}\\p{N}]*`, "giu");
  const parts: (string | { mark: string })[] = [];
  let last = 0;
  for (const match of text.matchAll(words)) {
    parts.push(text.slice(last, match.index), { mark: match[0] });
    last = match.index + match[0].length;
  }
  parts.push(text.slice(last));
  return <Text {...props}>{parts.map((part, i) => (typeof part === "string" ? part : <Mark key={i}>{part.mark}</Mark>))}</Text>;
}

export function SearchHit({ hit, terms }: { hit: Hit; terms: string[] }) {
  const source = SOURCES[hit.eventSource] ?? { label: hit.eventSource, color: "gray", icon: IconSettings };
  const text = hit.emailBody ?? hit.noteText ?? hit.callTranscript ?? hit.linkedinMessageText ?? "";
  const who = hit.lead?.fullName || hit.lead?.email || "Unnamed lead";
  return (
    <Paper
      withBorder
      p="sm"
      radius="md"
      component="article"
      aria-label={`${source.label} ${hit.eventType} of ${who}`}
      data-testid="search-hit"
    >
      <Group justify="space-between" gap="xs" mb={4} wrap="wrap">
        <Group gap="xs" wrap="wrap">
          <Badge color={source.color} variant="light" leftSection={<source.icon size={12} aria-hidden />} styles={NO_ELLIPSIS}>
            {source.label}
          </Badge>
          <Text size="xs" c="dimmed" ff="monospace">
            {hit.eventType}
          </Text>
        </Group>
        <Text size="xs" c="dimmed">
          {formatDateTime(hit.eventTimestamp)}
        </Text>
      </Group>
      <Group gap={6} wrap="wrap">
        <Anchor component={Link} to={`/leads/${hit.leadId}`} fw={600}>
          {who}
        </Anchor>
        {hit.lead?.company && (
          <Text size="sm" c="dimmed">
            · {hit.lead.company.companyName}
          </Text>
        )}
        {hit.campaign && (
          <Text size="sm" c="dimmed">
            · in{" "}
            <Anchor component={Link} to={`/campaigns/${hit.campaign.rowId}`} size="sm" c="dimmed" underline="always">
              {hit.campaign.campaignName}
            </Anchor>
          </Text>
        )}
      </Group>
      {hit.emailSubject && <Highlighted text={hit.emailSubject} terms={terms} size="sm" fw={500} mt={4} />}
      {text && <Highlighted text={snippetOf(text, terms)} terms={terms} size="sm" c="dimmed" mt={2} data-testid="search-snippet" />}
    </Paper>
  );
}
