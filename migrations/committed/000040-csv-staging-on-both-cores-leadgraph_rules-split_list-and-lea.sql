--! Previous: sha1:d5c79c1cb3468bd89b1b329ffa667af2a88a0f4a
--! Hash: sha1:caa6e18b34c75781b4bb7795e5aaf20d81e12d66
--! Message: CSV staging on both cores: leadgraph_rules.split_list and leadgraph_private.cells_of, so the parse of an import's cells is a parallel scan

-- CSV staging on both cores: the cells of an import are parsed out of its
-- raw rows by a parallel scan (15-stage-import). PostgreSQL runs a query's
-- expressions in parallel workers only when none is a correlated subquery,
-- so the two that were (a cell holding a list; the row's phone columns)
-- become functions, parallel safe like the rest of leadgraph_rules.
create or replace function leadgraph_rules.split_list(cell text) returns text[]
  language sql immutable parallel safe
as $$
  select array(select btrim(x) from unnest(string_to_array(cell, ',')) x where btrim(x) <> '')
$$;
comment on function leadgraph_rules.split_list(text) is E'A cell holding a comma-separated list (departments, keywords, technologies): its items, trimmed, without empty ones, in order.';

create or replace function leadgraph_private.cells_of(raw_row jsonb, headers text[]) returns text[]
  language sql immutable parallel safe
as $$
  select array(select raw_row ->> h.header from unnest(headers) with ordinality h (header, n) order by h.n)
$$;
comment on function leadgraph_private.cells_of(jsonb, text[]) is E'The cells of a stored CSV row under these headers, in the order given (null where the row has none).';
revoke all on function leadgraph_private.cells_of(jsonb, text[]) from public;
