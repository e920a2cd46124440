--! Previous: sha1:25f09a8aa3538760a9f65ac4f9e29e489ff0b550
--! Hash: sha1:895901eaef28f6c49f0f7bfaf1ba33acaa49de79
--! Message: worker_pools: the running graphile-worker pools, each holding an advisory lock, so a start gives back the jobs of pools that died

-- The graphile-worker pools that are running, so that a worker starting (and
-- each worker once a minute) gives back the jobs of pools that died (kill -9,
-- a crash, a lost machine) instead of leaving them locked for graphile-worker's
-- 4 hours. A live pool holds a session advisory lock on its lock_id for as long
-- as it runs; a free lock means its process is gone (src/database/worker-pools.ts).
drop table if exists leadgraph_private.worker_pools;

create table leadgraph_private.worker_pools (
  pool_id text primary key,
  lock_id integer not null generated always as identity (cycle) unique,
  hostname text not null,
  pid integer not null,
  started_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now()
);
alter table leadgraph_private.worker_pools enable row level security;
comment on table leadgraph_private.worker_pools is E'Running graphile-worker pools of leadgraph processes: a pool whose advisory lock is free has died, and its locked jobs are given back to the queue.';
comment on column leadgraph_private.worker_pools.pool_id is E'graphile-worker''s pool id, what it writes in graphile_worker jobs'' locked_by.';
comment on column leadgraph_private.worker_pools.lock_id is E'The pool holds the session advisory lock (worker pool lock class, lock_id) while it runs.';
comment on column leadgraph_private.worker_pools.hostname is E'The machine of its process.';
comment on column leadgraph_private.worker_pools.pid is E'Its process id on that machine.';
comment on column leadgraph_private.worker_pools.started_at is E'When the pool started.';
comment on column leadgraph_private.worker_pools.last_seen_at is E'When its process last said it was alive (every few seconds).';
