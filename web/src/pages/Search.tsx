// Full-text search over the timeline (searchEvents, docs/queries/search.graphql):
// emails, call transcripts, LinkedIn messages and notes, best matches first,
// each hit linking to its lead. The query is in the URL (?q=, and ?page=), so
// the header's search box lands here.
import { Button, Code, Group, Pagination, Stack, Text, TextInput } from "@mantine/core";
import { IconSearch } from "@tabler/icons-react";
import { useState, type FormEvent } from "react";
import { useSearchParams } from "react-router";
import { useQuery } from "urql";
import { SearchHit, SearchHitFields, highlightTerms } from "../components/SearchHit.tsx";
import { Empty, ErrorNotice, Loading, PageTitle } from "../components/States.tsx";
import { formatNumber } from "../format.ts";
import { graphql, present, readFragment } from "../graphql.ts";

const SearchTimelineQuery = graphql(
  `
    query SearchTimeline($query: String!, $first: Int!, $offset: Int!) {
      searchEvents(query: $query, first: $first, offset: $offset) {
        totalCount
        nodes {
          ...SearchHitFields
        }
      }
    }
  `,
  [SearchHitFields],
);

const PAGE_SIZE = 20;

export function SearchPage() {
  const [params, setParams] = useSearchParams();
  const q = (params.get("q") ?? "").trim();
  const page = Math.max(1, Number(params.get("page")) || 1);
  return (
    <>
      <PageTitle>Search the timeline</PageTitle>
      {/* keyed by the query: a search from the header box resets the field */}
      <SearchForm key={q} initial={q} onSearch={(value) => setParams(value ? { q: value } : {})} />
      {q ? (
        <Results q={q} page={page} onPage={(next) => setParams({ q, ...(next > 1 && { page: String(next) }) })} />
      ) : (
        <Empty title="Search emails, replies, calls, LinkedIn messages and notes">
          Words find their forms (<Code>meeting</Code> finds &quot;meetings&quot;); use <Code>&quot;quoted phrases&quot;</Code>,{" "}
          <Code>pricing OR budget</Code> and <Code>-excluded</Code> words. Best matches come first.
        </Empty>
      )}
    </>
  );
}

function SearchForm({ initial, onSearch }: { initial: string; onSearch: (value: string) => void }) {
  const [value, setValue] = useState(initial);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSearch(value.trim());
  };
  return (
    <form onSubmit={submit} role="search" aria-label="Timeline search">
      <Group align="flex-end" gap="xs" mb="md" wrap="nowrap">
        <TextInput
          label="Words to look for"
          placeholder='e.g. pricing, "send more details", demo -unsubscribe'
          leftSection={<IconSearch size={16} aria-hidden />}
          value={value}
          onChange={(event) => setValue(event.currentTarget.value)}
          style={{ flex: 1 }}
          maw={640}
          autoFocus={!initial}
          name="q"
        />
        <Button type="submit">Search</Button>
      </Group>
    </form>
  );
}

function Results({ q, page, onPage }: { q: string; page: number; onPage: (page: number) => void }) {
  const [{ data, fetching, error }] = useQuery({
    query: SearchTimelineQuery,
    variables: { query: q, first: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE },
  });
  if (error) return <ErrorNotice error={error} title="The search failed" />;
  if (fetching && !data) return <Loading label="Searching…" />;
  const result = data?.searchEvents;
  const hits = readFragment(SearchHitFields, present(result?.nodes));
  const total = result?.totalCount ?? 0;
  const terms = highlightTerms(q);
  if (total === 0)
    return (
      <Empty title={`Nothing matches “${q}”`}>
        The search covers email subjects and bodies, call transcripts, LinkedIn messages and notes (in English word forms). Try fewer or
        other words, or <Code>one OR other</Code>.
      </Empty>
    );
  const pages = Math.ceil(total / PAGE_SIZE);
  return (
    <Stack gap="sm">
      <Text size="sm" c="dimmed" role="status" data-testid="search-count" data-value={total}>
        {formatNumber(total)} {total === 1 ? "event matches" : "events match"} “{q}”
        {pages > 1 && ` · page ${page} of ${formatNumber(pages)}`}
      </Text>
      {hits.map((hit) => (
        <SearchHit key={hit.rowId} hit={hit} terms={terms} />
      ))}
      {pages > 1 && (
        <Pagination
          total={pages}
          value={Math.min(page, pages)}
          onChange={(next) => {
            onPage(next);
            window.scrollTo({ top: 0 });
          }}
          mt="sm"
          getControlProps={(control) => ({ "aria-label": `${control} page` })}
          getItemProps={(item) => ({ "aria-label": `Page ${item}` })}
        />
      )}
    </Stack>
  );
}
