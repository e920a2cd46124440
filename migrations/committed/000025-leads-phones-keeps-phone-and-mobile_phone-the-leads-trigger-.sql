--! Previous: sha1:b9e70e537572d888d0b34b8de02157bbb7988aa6
--! Hash: sha1:4e7093332fdc6f31881caa3712588f76e7dfc994
--! Message: leads.phones keeps phone and mobile_phone (the leads trigger adds them when missing), so calls match leads created through GraphQL or SQL

-- leads.phones holds every number of a lead (000017), but only the CSV and
-- Instantly normalisers filled it: a lead created or edited through GraphQL
-- or SQL with just `phone` had none there, so the VAPI normaliser (which
-- finds callers through leadgraph_rules.phone_keys(phones)) could not match
-- its calls. The leads trigger now adds phone and mobile_phone to phones
-- when they are missing (appended: the order the sources gave is kept).

create or replace function leadgraph_private.tg_leads__normalize() returns trigger
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  NEW.email = leadgraph_rules.normalize_email(NEW.email);
  if (NEW.phone is not null and not coalesce(leadgraph_rules.clean_phone(NEW.phone) = any (NEW.phones), true))
     or (NEW.mobile_phone is not null and not coalesce(leadgraph_rules.clean_phone(NEW.mobile_phone) = any (NEW.phones), true)) then
    NEW.phones = leadgraph_rules.phone_list(NEW.phones || array[NEW.phone, NEW.mobile_phone]);
  end if;
  return NEW;
end;
$$;
comment on function leadgraph_private.tg_leads__normalize() is E'Trigger function: stores leads.email in its normal form (leadgraph_rules.normalize_email), the form de-duplication compares, and keeps phone and mobile_phone in phones (what calls are matched on).';

update leads set phones = leadgraph_rules.phone_list(phones || array[phone, mobile_phone])
where (phone is not null and not coalesce(leadgraph_rules.clean_phone(phone) = any (phones), true))
   or (mobile_phone is not null and not coalesce(leadgraph_rules.clean_phone(mobile_phone) = any (phones), true));
