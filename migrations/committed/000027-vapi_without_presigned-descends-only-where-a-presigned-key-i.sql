--! Previous: sha1:e1ad2a540661d3551eca28dff5fd98d16b4d0421
--! Hash: sha1:cf9b0ec1a2adeba4ddeea4b3b95dd18c35580c5d
--! Message: vapi_without_presigned descends only where a presigned key is (bench:calls: 89% of the VAPI normaliser's time)

-- leadgraph_rules.vapi_without_presigned (000021) rebuilt every node of a
-- call's JSON: 1.8 ms a call, 89% of the VAPI normaliser's time in
-- bench:calls. Same result, but it only descends into the values whose text
-- holds a "presigned key, and returns every other value as it is.
create or replace function leadgraph_rules.vapi_without_presigned(value jsonb) returns jsonb
  language plpgsql immutable parallel safe
as $$
declare
  result jsonb;
  k text;
  v jsonb;
begin
  if jsonb_typeof(value) not in ('object', 'array') or strpos(lower(value::text), '"presigned') = 0 then
    return value;
  end if;
  if jsonb_typeof(value) = 'object' then
    result := '{}'::jsonb;
    for k, v in select e.key, e.value from jsonb_each(value) e loop
      if k not ilike 'presigned%' then
        result := result || jsonb_build_object(k, leadgraph_rules.vapi_without_presigned(v));
      end if;
    end loop;
    return result;
  end if;
  select coalesce(jsonb_agg(leadgraph_rules.vapi_without_presigned(a.v) order by a.n), '[]'::jsonb) into result
  from jsonb_array_elements(value) with ordinality as a(v, n);
  return result;
end;
$$;
comment on function leadgraph_rules.vapi_without_presigned(jsonb) is E'A VAPI call or message without its presigned URLs (every key starting with "presigned", at any depth): they change on every read, so they tell nothing about whether the call changed. Descends only where such a key is.';
