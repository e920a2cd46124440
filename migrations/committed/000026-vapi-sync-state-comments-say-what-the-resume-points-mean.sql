--! Previous: sha1:4e7093332fdc6f31881caa3712588f76e7dfc994
--! Hash: sha1:e1ad2a540661d3551eca28dff5fd98d16b4d0421
--! Message: VAPI sync state: comments say what the resume points mean

-- What the VAPI sync's resume points mean as src/sources/vapi/sync/ uses them
-- (000021's comments described a watermark moved only per complete pass).
comment on column leadgraph_private.vapi_sync_state.watermark is E'Every call updated up to here is stored: moved to the end of each window stored (so a killed sync resumes there), the next pass asks from here minus an overlap.';
comment on column leadgraph_private.vapi_sync_state.pass_upper is E'Where the pass under way ends (when it started); null when none is under way.';
comment on column leadgraph_private.vapi_sync_state.backfill_before is E'How far back the first pass reached (VAPI_SYNC_SINCE_DAYS); informative.';
comment on column leadgraph_private.vapi_sync_state.backfill_done is E'Whether a first pass completed; informative.';
