--! Previous: sha1:55637503bc8d30f6b22c974632c1baad5f261036
--! Hash: sha1:f875438a30e20c0de4bf06d2e2dd99a584373358
--! Message: No PL/pgSQL exception handler runs in a parallel operation: percent_decode checks its bytes are UTF-8 by a pattern instead (a parallel CSV staging on 18 left percent-encoded LinkedIn URLs undecoded, in silence), the four other functions with a handler are parallel unsafe on every server, and leads_linkedin_key_idx is rebuilt where a profile has a %

-- A PL/pgSQL exception handler is not safe inside a parallel operation on
-- any supported server. Before 17 it fails ("cannot start subtransactions
-- during a parallel operation", 000041). On 18 it can fail too: in a parallel
-- worker of the CSV staging's CREATE TABLE AS (15-stage-import.sql, since
-- 000040) the block got "cannot start commands during a parallel operation",
-- not in every plan, and the handler caught that error as if it were the
-- input's, so the function returned its fallback in silence. percent_decode
-- did so: /in/jos%C3%A9 was left undecoded and became a person apart from
-- /in/josé (found by test/csv/normalize.test.ts, "CSV staging in a parallel
-- plan").

-- percent_decode without an exception handler: the decoded bytes are checked
-- to be UTF-8 by a pattern over their hex, the same bytes convert_from()
-- accepts (no NUL, no overlong forms, no surrogates, nothing above U+10FFFF),
-- so it stays parallel safe on every server and the staging keeps both cores.
create or replace function leadgraph_rules.percent_decode(input text) returns text
  language plpgsql immutable parallel safe
as $$
declare
  bytes bytea := '';
  i integer := 1;
  n integer := length(input);
begin
  if input is null or strpos(input, '%') = 0 then
    return input;
  end if;
  while i <= n loop
    if substr(input, i, 1) = '%' and substr(input, i + 1, 2) ~ '^[0-9A-Fa-f]{2}$' then
      bytes := bytes || decode(substr(input, i + 1, 2), 'hex');
      i := i + 3;
    else
      bytes := bytes || convert_to(substr(input, i, 1), 'UTF8');
      i := i + 1;
    end if;
  end loop;
  if encode(bytes, 'hex') !~ ('^(0[1-9a-f]|[1-7][0-9a-f]'
                              || '|(c[2-9a-f]|d[0-9a-f])[89ab][0-9a-f]'
                              || '|e0[ab][0-9a-f][89ab][0-9a-f]'
                              || '|(e[1-9a-c]|e[ef])[89ab][0-9a-f][89ab][0-9a-f]'
                              || '|ed[89][0-9a-f][89ab][0-9a-f]'
                              || '|f0[9ab][0-9a-f]([89ab][0-9a-f]){2}'
                              || '|f[1-3]([89ab][0-9a-f]){3}'
                              || '|f48[0-9a-f]([89ab][0-9a-f]){2})*$') then
    return input;
  end if;
  return convert_from(bytes, 'UTF8');
end;
$$;
comment on function leadgraph_rules.percent_decode(text) is E'Text with its %XX escapes decoded as UTF-8 (jos%C3%A9 -> josé); unchanged when it has none or they are not UTF-8.';

-- The four left with a handler: parallel unsafe on every server (000041
-- made them so before 17 only). What calls them (insert ... select
-- statements, a check constraint, one small query of the VAPI sync) loses
-- nothing by it.
alter function leadgraph_rules.is_time_zone(text) parallel unsafe;
alter function leadgraph_private.vapi_timestamp(text) parallel unsafe;
alter function leadgraph_private.timestamptz_or_null(text) parallel unsafe;
alter function leadgraph_private.timestamp_or_null(text) parallel unsafe;

-- A parallel build of leads_linkedin_key_idx (000022's reindex, a restore)
-- may hold undecoded keys for the profiles written with a %: built again.
do $$
begin
  if exists (select 1 from leads where strpos(linkedin_url, '%') > 0) then
    reindex index leads_linkedin_key_idx;
  end if;
end;
$$;
