--! Previous: sha1:25f09a8aa3538760a9f65ac4f9e29e489ff0b550
--! Hash: sha1:1778ab652642c0d287173adf51a762a3ec478985
--! Message: grouped_aggregates_over_limit: the error a groupedAggregates past MAX_GROUPS groups ends with

-- groupedAggregates has no page of its own: grouping events by timestamp
-- returned 129,605 groups in one response. The API adds to each grouped
-- statement `case when count(*) over () > MAX_GROUPS then
-- grouped_aggregates_over_limit(MAX_GROUPS) end` (src/graphql/limits.ts), so
-- past the limit the statement fails with this message instead of returning
-- the groups. Volatile, so the planner never evaluates it ahead of the case.
drop function if exists grouped_aggregates_over_limit(integer);

create function grouped_aggregates_over_limit(max_groups integer) returns text
language plpgsql volatile as $$
begin
  raise exception 'groupedAggregates found more than % groups, the maximum (MAX_GROUPS): group by fewer or coarser keys, or filter the connection first', max_groups
    using errcode = 'P0001', hint = 'MAX_GROUPS';
end
$$;
comment on function grouped_aggregates_over_limit(integer) is
  E'@behavior -queryField -mutationField\nRaises the error a groupedAggregates with more than MAX_GROUPS groups ends with (src/graphql/limits.ts).';
