--! Previous: sha1:48ebab1977f6560f00a2c91a076e1de53ee28ec0
--! Hash: sha1:25f09a8aa3538760a9f65ac4f9e29e489ff0b550
--! Message: leads_full_name_search_idx dropped: no query uses it, and it cost about a quarter of each lead insert

-- leads_full_name_search_idx (000006, rebuilt in 000017), a GIN index on
-- to_tsvector('simple', full_name), serves no query: the quick search
-- (search_leads, 000020) uses the trigram index leads_search_idx, and
-- filtering and ordering by full_name use the btree leads_full_name_idx.
-- Every lead written paid for it: measured with bench/import.ts's data, the
-- index was about a quarter of the time of inserting a batch of 5,000 leads
-- (see docs/decisions.md, "CSV imports by COPY, parsed once").
drop index if exists leads_full_name_search_idx;
