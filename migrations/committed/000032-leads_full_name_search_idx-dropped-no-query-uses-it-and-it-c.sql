--! Previous: sha1:e90ee18b25f1cf96f81d525297aa32b1d0732932
--! Hash: sha1:87a0c55d57213a8cfff79f531e5e3f4a7321615a
--! Message: leads_full_name_search_idx dropped: no query uses it, and it cost about a quarter of each lead insert

-- leads_full_name_search_idx (000006, rebuilt in 000017), a GIN index on
-- to_tsvector('simple', full_name), serves no query: the quick search
-- (search_leads, 000020) uses the trigram index leads_search_idx, and
-- filtering and ordering by full_name use the btree leads_full_name_idx.
-- Every lead written paid for it: measured with bench/import.ts's data, the
-- index was about a quarter of the time of inserting a batch of 5,000 leads
-- (see docs/decisions.md, "CSV imports by COPY, parsed once").
drop index if exists leads_full_name_search_idx;
