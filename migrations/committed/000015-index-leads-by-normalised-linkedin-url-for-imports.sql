--! Previous: sha1:e44016892d7859541cda15b6d2a8f9a79d21f294
--! Hash: sha1:25b28ab972b5ab4a8bff9e58ab100eb3efc0c433
--! Message: index leads by normalised LinkedIn URL for imports

-- CSV imports match leads without an email by LinkedIn URL, compared
-- lower-cased and without trailing slashes: index that form (without it each
-- batch of an import scanned every lead; measured with bench:import).
create index leads_linkedin_key_idx on leads (lower(regexp_replace(linkedin_url, '/+$', '')));
