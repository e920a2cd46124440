--! Previous: sha1:ad931c38813f4cc6381f0c6b2ed26f590139305c
--! Hash: sha1:b6adaa350c0fee1588e588677aecda75a7f881b2
--! Message: index leads by normalised LinkedIn URL for imports

-- CSV imports match leads without an email by LinkedIn URL, compared
-- lower-cased and without trailing slashes: index that form (without it each
-- batch of an import scanned every lead; measured with bench:import).
create index leads_linkedin_key_idx on leads (lower(regexp_replace(linkedin_url, '/+$', '')));
