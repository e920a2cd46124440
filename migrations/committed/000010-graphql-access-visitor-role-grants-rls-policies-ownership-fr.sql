--! Previous: sha1:315b0e61d9a272c6d0d55b36596a7d8d2377beb1
--! Hash: sha1:a202749be842dd36cbbfa122359f9df5d0280e82
--! Message: GraphQL access: visitor role grants, RLS policies, ownership from the token, search_events

-- GraphQL access: who may see and change what.
-- Every GraphQL request runs as the role leadgraph_visitor (created by
-- leadgraph before migrations, see src/database/roles.ts) with the caller's
-- user id in the setting jwt.claims.user_id. Grants say which columns a
-- visitor may write; row level security policies say which rows.
-- The table owner (migrations, worker) is not subject to RLS.

create function current_user_id() returns uuid
  language sql stable
as $$
  select nullif(current_setting('jwt.claims.user_id', true), '')::uuid
$$;
comment on function current_user_id() is E'@behavior -queryField\nThe id of the user making the request (from the token), or null outside a request.';

-- Ownership comes from the token, never from input: these columns default to
-- the caller and are not in the visitor's insert grants.
alter table offers alter column created_by set default current_user_id();
alter table campaigns alter column created_by set default current_user_id();
alter table csv_imports_raw alter column uploaded_by set default current_user_id();
alter table events alter column performed_by set default current_user_id();

-- Full-text search over the timeline, best matches first.
create function search_events(query text) returns setof events
  language sql stable
as $$
  select e.*
  from events e, websearch_to_tsquery('english', query) q
  where e.search_vector @@ q
  order by ts_rank_cd(e.search_vector, q) desc, e.event_timestamp desc, e.id
$$;
comment on function search_events(text) is E'Full-text search over events (email subject and body, call transcripts, LinkedIn messages, notes), best matches first. The query uses web-search syntax: words, "quoted phrases", OR, -excluded.';

grant usage on schema public to leadgraph_visitor;

-- Users: everyone sees the team; each changes only their own profile.
grant select on users to leadgraph_visitor;
grant update (full_name, organization) on users to leadgraph_visitor;
create policy select_all on users for select using (true);
create policy update_self on users for update using (id = current_user_id());

-- The normalised layer is the team's shared workspace: every user reads and
-- writes it; ownership columns record who created what.
grant select, delete on offers to leadgraph_visitor;
grant insert (offer_name, offer_description, offer_type, price_min, price_max, currency, target_industries,
              target_company_sizes, target_job_titles, value_proposition, pain_points, email_subject_template,
              email_body_template, call_script_template, is_active),
      update (offer_name, offer_description, offer_type, price_min, price_max, currency, target_industries,
              target_company_sizes, target_job_titles, value_proposition, pain_points, email_subject_template,
              email_body_template, call_script_template, is_active)
  on offers to leadgraph_visitor;

grant select, delete on companies to leadgraph_visitor;
grant insert (company_name, company_domain, website, industry, company_size, employee_count, annual_revenue,
              total_funding, latest_funding, founded_year, description, keywords, technologies, country, state, city,
              address, company_phone, linkedin_url, facebook_url, twitter_url, apollo_account_id),
      update (company_name, company_domain, website, industry, company_size, employee_count, annual_revenue,
              total_funding, latest_funding, founded_year, description, keywords, technologies, country, state, city,
              address, company_phone, linkedin_url, facebook_url, twitter_url, apollo_account_id)
  on companies to leadgraph_visitor;

grant select, delete on leads to leadgraph_visitor;
grant insert (first_name, last_name, email, email_status, secondary_email, phone, mobile_phone, job_title, seniority,
              departments, linkedin_url, twitter_url, facebook_url, city, state, country, company_id, lead_source,
              lead_score, lead_status),
      update (first_name, last_name, email, email_status, secondary_email, phone, mobile_phone, job_title, seniority,
              departments, linkedin_url, twitter_url, facebook_url, city, state, country, company_id,
              lead_score, lead_status)
  on leads to leadgraph_visitor;

grant select, delete on campaigns to leadgraph_visitor;
grant insert (campaign_name, campaign_description, campaign_type, offer_id, uses_email, uses_calls, uses_linkedin,
              instantly_campaign_id, instantly_campaign_name, vapi_campaign_id, starts_at, ends_at, daily_send_limit,
              timezone, email_subject_template, email_body_template, call_script_template, campaign_status),
      update (campaign_name, campaign_description, campaign_type, offer_id, uses_email, uses_calls, uses_linkedin,
              instantly_campaign_id, instantly_campaign_name, vapi_campaign_id, starts_at, ends_at, daily_send_limit,
              timezone, email_subject_template, email_body_template, call_script_template, campaign_status)
  on campaigns to leadgraph_visitor;

grant select, delete on campaign_leads to leadgraph_visitor;
grant insert (campaign_id, lead_id, email_status, call_status, call_scheduled_at, linkedin_status, overall_status,
              sequence_step, next_followup_at),
      update (email_status, email_sent_at, email_opened_at, email_replied_at, call_status, call_scheduled_at,
              call_completed_at, call_duration_seconds, linkedin_status, overall_status, engagement_score,
              sequence_step, next_followup_at)
  on campaign_leads to leadgraph_visitor;

do $$
declare
  t text;
begin
  foreach t in array array['offers', 'companies', 'leads', 'campaigns', 'campaign_leads'] loop
    execute format('create policy select_all on %I for select using (true)', t);
    execute format('create policy insert_all on %I for insert with check (true)', t);
    execute format('create policy update_all on %I for update using (true)', t);
    execute format('create policy delete_all on %I for delete using (true)', t);
  end loop;
end
$$;

-- Events: everyone reads the whole timeline; people add manual events (notes,
-- status changes, tasks) and change or remove only their own. Events from
-- Instantly, VAPI and LinkedIn come from the worker and mirror the raw layer.
grant select, delete on events to leadgraph_visitor;
grant insert (event_source, event_type, lead_id, campaign_id, campaign_lead_id, event_timestamp, note_text),
      update (event_type, campaign_id, campaign_lead_id, event_timestamp, note_text)
  on events to leadgraph_visitor;
create policy select_all on events for select using (true);
create policy insert_manual on events for insert with check (event_source = 'manual' and performed_by = current_user_id());
create policy update_own_manual on events for update using (event_source = 'manual' and performed_by = current_user_id());
create policy delete_own_manual on events for delete using (event_source = 'manual' and performed_by = current_user_id());

-- The raw layer is read-only through the API: it is never modified after insert.
do $$
declare
  t text;
begin
  foreach t in array array['instantly_campaigns_raw', 'instantly_accounts_raw', 'instantly_daily_analytics_raw',
                           'instantly_emails_raw', 'csv_imports_raw', 'csv_import_rows'] loop
    execute format('grant select on %I to leadgraph_visitor', t);
    execute format('create policy select_all on %I for select using (true)', t);
    execute format('comment on table %I is %L', t, E'@behavior -insert -update -delete\n' || obj_description(t::regclass, 'pg_class'));
  end loop;
end
$$;

grant execute on function get_lead_timeline(uuid), get_campaign_event_stats(uuid), search_events(text),
  normalize_domain(text), current_user_id() to leadgraph_visitor;

-- Group campaign memberships by sequence step (the dashboard's best steps).
create index campaign_leads_sequence_step_idx on campaign_leads (campaign_id, sequence_step);

-- Relation names in GraphQL for the ownership columns (the defaults would be
-- `userByCreatedBy` and `offersByCreatedBy`).
comment on constraint offers_created_by_fkey on offers is E'@fieldName creator\n@foreignFieldName createdOffers';
comment on constraint campaigns_created_by_fkey on campaigns is E'@fieldName creator\n@foreignFieldName createdCampaigns';
comment on constraint csv_imports_raw_uploaded_by_fkey on csv_imports_raw is E'@fieldName uploader\n@foreignFieldName uploadedImports';
comment on constraint events_performed_by_fkey on events is E'@fieldName performer\n@foreignFieldName performedEvents';
