--! Previous: sha1:779e1e97d65970163d437e2c69b7c3c7b0d8eda3
--! Hash: sha1:5d612bd6dc02e2d7db2a9ebf660e6c7cda5f06d4
--! Message: leads triggers run their functions only when they would change or refuse something (WHEN clauses): a CSV import's inserts skip three PL/pgSQL calls a row

-- The row triggers of leads run their function only when it would change or
-- refuse something (issue 12: a CSV import writes every lead through them,
-- and the normalisers already store normal forms). A WHEN clause is an
-- expression the executor evaluates inline; a PL/pgSQL call per row is what
-- it saves. What each trigger does when it runs is unchanged.
--  _100_timestamps: split by operation. On update it always runs (it reads
--   OLD); on insert only when the row does not already hold what it would
--   set (created_at given or defaulted, updated_at = now()).
--  _200_normalize: only when the email is not already in its normal form
--   (an ASCII address trimmed and lower-cased is; any other goes through
--   normalize_email as before) or a phone is missing from phones.
--  _300_email_is_email: only when is_email refuses the address.
drop trigger if exists _100_timestamps_of_insert on leads;
drop trigger if exists _100_timestamps on leads;
create trigger _100_timestamps before update on leads
  for each row execute function leadgraph_private.tg__timestamps();
create trigger _100_timestamps_of_insert before insert on leads
  for each row when (NEW.created_at is null or NEW.updated_at is distinct from now())
  execute function leadgraph_private.tg__timestamps();

drop trigger if exists _200_normalize on leads;
create trigger _200_normalize before insert or update on leads
  for each row when (
    (NEW.email is not null
     and (NEW.email ~ '[^\x01-\x7f]' or NEW.email = '' or NEW.email <> lower(btrim(NEW.email, E' \t\r\n') collate "C")))
    or (NEW.phone is not null and not coalesce(leadgraph_rules.clean_phone(NEW.phone) = any (NEW.phones), true))
    or (NEW.mobile_phone is not null and not coalesce(leadgraph_rules.clean_phone(NEW.mobile_phone) = any (NEW.phones), true)))
  execute function leadgraph_private.tg_leads__normalize();

drop trigger if exists _300_email_is_email on leads;
create trigger _300_email_is_email before insert or update of email on leads
  for each row when (NEW.email is not null and not leadgraph_rules.is_email(NEW.email))
  execute function leadgraph_private.tg_leads__email_is_email();
