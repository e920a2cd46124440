--! Previous: sha1:caa6e18b34c75781b4bb7795e5aaf20d81e12d66
--! Hash: sha1:55637503bc8d30f6b22c974632c1baad5f261036
--! Message: Before PostgreSQL 17 the five PL/pgSQL functions with an exception handler are parallel unsafe, so no parallel plan enters one (the CSV staging's parallel scan failed there on a LinkedIn URL with a %)

-- Before PostgreSQL 17, a function in a parallel plan may not enter a
-- PL/pgSQL block with an exception handler ("cannot start subtransactions
-- during a parallel operation"). These five have one, so on such a server
-- they are parallel unsafe and every query calling them plans serially
-- (the CSV staging's parallel scan included: percent_decode runs for a
-- LinkedIn URL with a %). From 17 on they stay parallel safe. A cluster
-- upgraded to 17 keeps them unsafe: slower there, never wrong.
do $$
begin
  if current_setting('server_version_num')::int < 170000 then
    alter function leadgraph_rules.percent_decode(text) parallel unsafe;
    alter function leadgraph_rules.is_time_zone(text) parallel unsafe;
    alter function leadgraph_private.vapi_timestamp(text) parallel unsafe;
    alter function leadgraph_private.timestamptz_or_null(text) parallel unsafe;
    alter function leadgraph_private.timestamp_or_null(text) parallel unsafe;
  end if;
end;
$$;
