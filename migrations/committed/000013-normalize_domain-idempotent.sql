--! Previous: sha1:bfe239b1f1a3bdbf2c21ffe03fdd4690a344eb5f
--! Hash: sha1:62adf2092fd28bc93b0c3be10259eeabfed48fc4
--! Message: normalize_domain: idempotent

-- normalize_domain() must be idempotent (the companies check constraint
-- compares a domain with its normal form): repeated schemes and `www.`,
-- and trailing dots or spaces before a port, were left half-normalised.
create or replace function normalize_domain(input text) returns text
  language sql immutable strict parallel safe
as $$
  select nullif(
    regexp_replace(
      regexp_replace(
        regexp_replace(
          regexp_replace(
            regexp_replace(lower(btrim(input)), '^([a-z][a-z0-9+.-]*://)+', ''),  -- schemes
            '[/?#].*$', ''),                                                      -- path, query, fragment
          '[.[:space:]]+$', ''),                                                  -- trailing dots and spaces
        '^([^@]*@)?(www\.)*([^:]*)(:[0-9]*)?$', '\3'),                            -- user@, www., :port
      '[.[:space:]]+$', ''),
    '')
$$;
