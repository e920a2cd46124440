// Normalising a CSV import: its stored rows -> de-duplicated companies and
// leads, an outcome for every row, counts on the import. Set-based SQL, one
// transaction per batch of rows; safe to run again from the start at any
// moment (a killed job is retried): every statement is an upsert or a
// recomputation, and "inserted" means "this import created the lead".
import type { PoolClient } from "pg";
import { inTransaction } from "../../database/transaction.ts";
import { FREE_MAIL_DOMAINS, mapColumns, missingIdentityColumns } from "./columns.ts";

export const DEFAULT_BATCH_SIZE = 5000;

export type NormalizeOutcome = "gone" | "failed" | "completed" | "completed_with_errors";

const EMAIL_PATTERN = "^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$";
const DOMAIN_PATTERN = "^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$";

/** One staged row per CSV row of the batch: the fields parsed out of raw_row ($2 maps field -> header). */
const STAGE_SQL = `
create temp table staged on commit drop as
with parsed as (
  select r.row_number, r.raw_row, k.dedupe_key, k.winner, k.reject_reason,
         nullif(lower(btrim(r.raw_row ->> ($2::jsonb ->> 'email'))), '') as email,
         nullif(btrim(r.raw_row ->> ($2::jsonb ->> 'first_name')), '') as first_name_cell,
         nullif(btrim(r.raw_row ->> ($2::jsonb ->> 'last_name')), '') as last_name_cell,
         nullif(btrim(r.raw_row ->> ($2::jsonb ->> 'full_name')), '') as full_name,
         nullif(btrim(r.raw_row ->> ($2::jsonb ->> 'job_title')), '') as job_title,
         nullif(btrim(r.raw_row ->> ($2::jsonb ->> 'seniority')), '') as seniority,
         array(select btrim(d) from unnest(string_to_array(r.raw_row ->> ($2::jsonb ->> 'departments'), ',')) d where btrim(d) <> '') as departments,
         nullif(btrim(r.raw_row ->> ($2::jsonb ->> 'email_status')), '') as email_status,
         nullif(lower(btrim(r.raw_row ->> ($2::jsonb ->> 'secondary_email'))), '') as secondary_email,
         -- Excel-proofing apostrophes ('+1 555...) are not part of the number.
         nullif(regexp_replace(btrim(r.raw_row ->> ($2::jsonb ->> 'phone')), '^''+', ''), '') as phone,
         nullif(regexp_replace(btrim(r.raw_row ->> ($2::jsonb ->> 'mobile_phone')), '^''+', ''), '') as mobile_phone,
         nullif(btrim(r.raw_row ->> ($2::jsonb ->> 'linkedin_url')), '') as linkedin_url,
         nullif(btrim(r.raw_row ->> ($2::jsonb ->> 'city')), '') as city,
         nullif(btrim(r.raw_row ->> ($2::jsonb ->> 'state')), '') as state,
         nullif(btrim(r.raw_row ->> ($2::jsonb ->> 'country')), '') as country,
         nullif(btrim(r.raw_row ->> ($2::jsonb ->> 'apollo_contact_id')), '') as apollo_contact_id,
         nullif(btrim(r.raw_row ->> ($2::jsonb ->> 'company_name')), '') as company_name,
         nullif(btrim(r.raw_row ->> ($2::jsonb ->> 'website')), '') as website,
         nullif(btrim(r.raw_row ->> ($2::jsonb ->> 'company_domain')), '') as company_domain_cell,
         nullif(btrim(r.raw_row ->> ($2::jsonb ->> 'industry')), '') as industry,
         btrim(r.raw_row ->> ($2::jsonb ->> 'employee_count')) as employee_count_cell,
         btrim(r.raw_row ->> ($2::jsonb ->> 'annual_revenue')) as annual_revenue_cell,
         btrim(r.raw_row ->> ($2::jsonb ->> 'total_funding')) as total_funding_cell,
         nullif(btrim(r.raw_row ->> ($2::jsonb ->> 'latest_funding')), '') as latest_funding,
         array(select btrim(x) from unnest(string_to_array(r.raw_row ->> ($2::jsonb ->> 'keywords'), ',')) x where btrim(x) <> '') as keywords,
         array(select btrim(x) from unnest(string_to_array(r.raw_row ->> ($2::jsonb ->> 'technologies'), ',')) x where btrim(x) <> '') as technologies,
         nullif(btrim(r.raw_row ->> ($2::jsonb ->> 'description')), '') as description,
         nullif(btrim(r.raw_row ->> ($2::jsonb ->> 'company_linkedin_url')), '') as company_linkedin_url,
         nullif(btrim(r.raw_row ->> ($2::jsonb ->> 'facebook_url')), '') as facebook_url,
         nullif(btrim(r.raw_row ->> ($2::jsonb ->> 'twitter_url')), '') as twitter_url,
         nullif(btrim(r.raw_row ->> ($2::jsonb ->> 'company_address')), '') as company_address,
         nullif(btrim(r.raw_row ->> ($2::jsonb ->> 'company_city')), '') as company_city,
         nullif(btrim(r.raw_row ->> ($2::jsonb ->> 'company_state')), '') as company_state,
         nullif(btrim(r.raw_row ->> ($2::jsonb ->> 'company_country')), '') as company_country,
         nullif(regexp_replace(btrim(r.raw_row ->> ($2::jsonb ->> 'company_phone')), '^''+', ''), '') as company_phone,
         nullif(btrim(r.raw_row ->> ($2::jsonb ->> 'apollo_account_id')), '') as apollo_account_id
  from csv_import_rows r
  join import_keys k on k.row_number = r.row_number
  where r.csv_import_id = $1 and r.row_number between $3 and $4
)
select p.*,
       coalesce(p.first_name_cell, nullif(split_part(p.full_name, ' ', 1), '')) as first_name,
       coalesce(p.last_name_cell, nullif(btrim(substr(p.full_name, length(split_part(p.full_name, ' ', 1)) + 1)), '')) as last_name,
       case when p.employee_count_cell ~ '^[0-9]{1,9}$' then p.employee_count_cell::integer end as employee_count,
       case when p.annual_revenue_cell ~ '^[0-9]{1,15}(\\.[0-9]+)?$' then p.annual_revenue_cell::numeric end as annual_revenue,
       case when p.total_funding_cell ~ '^[0-9]{1,15}(\\.[0-9]+)?$' then p.total_funding_cell::numeric end as total_funding,
       d.domain,
       null::uuid as company_id,
       null::uuid as lead_id
from parsed p
cross join lateral (
  select case when candidate ~ '${DOMAIN_PATTERN}' then candidate end as domain
  from (select coalesce(
    leadgraph_rules.normalize_domain(p.company_domain_cell),
    leadgraph_rules.normalize_domain(p.website),
    case when split_part(p.email, '@', 2) <> all ($5::text[]) then leadgraph_rules.normalize_domain(split_part(p.email, '@', 2)) end
  ) as candidate) c
) d
`;

/** Companies of the batch's winning rows: by domain, then by Apollo account id. */
const COMPANIES_SQL = [
  `insert into companies (company_name, company_domain, website, industry, employee_count, annual_revenue, total_funding,
                          latest_funding, description, keywords, technologies, country, state, city, address, company_phone,
                          linkedin_url, facebook_url, twitter_url, apollo_account_id, first_seen_in_csv_id, last_seen_in_csv_id)
   select distinct on (s.domain)
          s.company_name, s.domain, s.website, s.industry, s.employee_count, s.annual_revenue, s.total_funding, s.latest_funding,
          s.description, s.keywords, s.technologies, s.company_country, s.company_state, s.company_city, s.company_address,
          s.company_phone, s.company_linkedin_url, s.facebook_url, s.twitter_url, s.apollo_account_id, $1, $1
   from staged s
   where s.domain is not null and s.reject_reason is null and s.row_number = s.winner
   order by s.domain, s.row_number
   on conflict (company_domain) do update set
     company_name = coalesce(companies.company_name, excluded.company_name),
     website = coalesce(companies.website, excluded.website),
     industry = coalesce(companies.industry, excluded.industry),
     employee_count = coalesce(excluded.employee_count, companies.employee_count),
     annual_revenue = coalesce(excluded.annual_revenue, companies.annual_revenue),
     total_funding = coalesce(excluded.total_funding, companies.total_funding),
     latest_funding = coalesce(excluded.latest_funding, companies.latest_funding),
     description = coalesce(companies.description, excluded.description),
     keywords = case when companies.keywords = '{}' then excluded.keywords else companies.keywords end,
     technologies = case when excluded.technologies = '{}' then companies.technologies else excluded.technologies end,
     country = coalesce(companies.country, excluded.country),
     state = coalesce(companies.state, excluded.state),
     city = coalesce(companies.city, excluded.city),
     address = coalesce(companies.address, excluded.address),
     company_phone = coalesce(companies.company_phone, excluded.company_phone),
     linkedin_url = coalesce(companies.linkedin_url, excluded.linkedin_url),
     facebook_url = coalesce(companies.facebook_url, excluded.facebook_url),
     twitter_url = coalesce(companies.twitter_url, excluded.twitter_url),
     apollo_account_id = coalesce(companies.apollo_account_id, excluded.apollo_account_id),
     first_seen_in_csv_id = coalesce(companies.first_seen_in_csv_id, excluded.first_seen_in_csv_id),
     last_seen_in_csv_id = excluded.last_seen_in_csv_id`,
  // No domain, but an Apollo account id we have not seen: a company of its own.
  `insert into companies (company_name, apollo_account_id, industry, employee_count, first_seen_in_csv_id, last_seen_in_csv_id)
   select distinct on (s.apollo_account_id) s.company_name, s.apollo_account_id, s.industry, s.employee_count, $1, $1
   from staged s
   where s.domain is null and s.apollo_account_id is not null and s.reject_reason is null and s.row_number = s.winner
     and not exists (select 1 from companies c where c.apollo_account_id = s.apollo_account_id)
   order by s.apollo_account_id, s.row_number`,
  `update staged s set company_id = c.id from companies c where s.domain is not null and c.company_domain = s.domain`,
  `update staged s set company_id = c.id
   from (select distinct on (apollo_account_id) apollo_account_id, id from companies where apollo_account_id is not null order by apollo_account_id, created_at) c
   where s.company_id is null and s.apollo_account_id is not null and c.apollo_account_id = s.apollo_account_id`,
];

/** Leads of the batch's winning rows: by email, else by LinkedIn URL; known leads get their empty fields filled. */
const LEADS_SQL = [
  `insert into leads (first_name, last_name, email, email_status, secondary_email, phone, mobile_phone, job_title, seniority,
                      departments, linkedin_url, city, state, country, company_id, lead_source, apollo_contact_id, apollo_data, csv_import_id)
   select s.first_name, s.last_name, s.email, s.email_status, s.secondary_email, s.phone, s.mobile_phone, s.job_title, s.seniority,
          s.departments, s.linkedin_url, s.city, s.state, s.country, s.company_id, 'csv', s.apollo_contact_id, s.raw_row, $1
   from staged s
   where s.email is not null and s.reject_reason is null and s.row_number = s.winner
   on conflict (email) do update set
     first_name = coalesce(leads.first_name, excluded.first_name),
     last_name = coalesce(leads.last_name, excluded.last_name),
     email_status = coalesce(excluded.email_status, leads.email_status),
     secondary_email = coalesce(leads.secondary_email, excluded.secondary_email),
     phone = coalesce(leads.phone, excluded.phone),
     mobile_phone = coalesce(leads.mobile_phone, excluded.mobile_phone),
     job_title = coalesce(leads.job_title, excluded.job_title),
     seniority = coalesce(leads.seniority, excluded.seniority),
     departments = case when leads.departments = '{}' then excluded.departments else leads.departments end,
     linkedin_url = coalesce(leads.linkedin_url, excluded.linkedin_url),
     city = coalesce(leads.city, excluded.city),
     state = coalesce(leads.state, excluded.state),
     country = coalesce(leads.country, excluded.country),
     company_id = coalesce(leads.company_id, excluded.company_id),
     apollo_contact_id = coalesce(leads.apollo_contact_id, excluded.apollo_contact_id),
     apollo_data = excluded.apollo_data,
     csv_import_id = coalesce(leads.csv_import_id, excluded.csv_import_id)`,
  // Without an email: the lead with the same LinkedIn profile, if any, is filled in...
  `update leads l set
     first_name = coalesce(l.first_name, s.first_name),
     last_name = coalesce(l.last_name, s.last_name),
     job_title = coalesce(l.job_title, s.job_title),
     seniority = coalesce(l.seniority, s.seniority),
     phone = coalesce(l.phone, s.phone),
     mobile_phone = coalesce(l.mobile_phone, s.mobile_phone),
     company_id = coalesce(l.company_id, s.company_id),
     apollo_data = s.raw_row,
     csv_import_id = coalesce(l.csv_import_id, $1)
   from staged s
   where s.email is null and s.reject_reason is null and s.row_number = s.winner
     and lower(regexp_replace(l.linkedin_url, '/+$', '')) = substr(s.dedupe_key, 10)`,
  // ...else created.
  `insert into leads (first_name, last_name, job_title, seniority, departments, phone, mobile_phone, linkedin_url, city, state, country,
                      company_id, lead_source, apollo_contact_id, apollo_data, csv_import_id)
   select s.first_name, s.last_name, s.job_title, s.seniority, s.departments, s.phone, s.mobile_phone, s.linkedin_url, s.city, s.state,
          s.country, s.company_id, 'csv', s.apollo_contact_id, s.raw_row, $1
   from staged s
   where s.email is null and s.reject_reason is null and s.row_number = s.winner
     and not exists (select 1 from leads l where lower(regexp_replace(l.linkedin_url, '/+$', '')) = substr(s.dedupe_key, 10))`,
  `update staged s set lead_id = l.id from leads l where s.reject_reason is null and s.dedupe_key not like 'linkedin:%' and l.email = s.dedupe_key`,
  `update staged s set lead_id = (
     select l.id from leads l where lower(regexp_replace(l.linkedin_url, '/+$', '')) = substr(s.dedupe_key, 10) order by l.created_at, l.id limit 1)
   where s.reject_reason is null and s.dedupe_key like 'linkedin:%'`,
];

const OUTCOMES_SQL = `
update csv_import_rows r set
  outcome = case
    when s.reject_reason is not null then 'rejected'
    when s.row_number <> s.winner then 'duplicate'
    when l.csv_import_id = $1 then 'inserted'
    else 'updated'
  end,
  outcome_reason = case
    when s.reject_reason is not null then s.reject_reason
    when s.row_number <> s.winner then 'same ' || case when s.email is null then 'LinkedIn URL' else 'email' end || ' as row ' || s.winner
  end,
  duplicate_of_row_number = case when s.reject_reason is null and s.row_number <> s.winner then s.winner end,
  lead_id = s.lead_id,
  processed_at = now()
from staged s
left join leads l on l.id = s.lead_id
where r.csv_import_id = $1 and r.row_number = s.row_number`;

const ENROL_SQL = `
insert into campaign_leads (campaign_id, lead_id)
select distinct $1::uuid, s.lead_id from staged s where s.lead_id is not null
on conflict (campaign_id, lead_id) do nothing`;

const FINISH_SQL = `
update csv_imports_raw i set
  total_rows = c.total,
  processed_rows = c.processed,
  leads_inserted = c.inserted,
  leads_updated = c.updated,
  duplicate_rows = c.duplicates,
  failed_rows = c.rejected,
  companies_inserted = (select count(*) from companies where first_seen_in_csv_id = i.id),
  companies_matched = (
    select count(distinct l.company_id) from csv_import_rows r join leads l on l.id = r.lead_id
    join companies co on co.id = l.company_id
    where r.csv_import_id = i.id and co.first_seen_in_csv_id is distinct from i.id
  ),
  error_log = case when c.rejected > 0 then jsonb_build_object('rejected', c.reasons) end,
  import_status = case when c.rejected > 0 then 'completed_with_errors' else 'completed' end,
  processing_completed_at = now()
from (
  select count(*)::int as total,
         count(outcome)::int as processed,
         count(*) filter (where outcome = 'inserted')::int as inserted,
         count(*) filter (where outcome = 'updated')::int as updated,
         count(*) filter (where outcome = 'duplicate')::int as duplicates,
         count(*) filter (where outcome = 'rejected')::int as rejected,
         coalesce((select jsonb_object_agg(reason, n) from (
           select outcome_reason as reason, count(*) as n from csv_import_rows
           where csv_import_id = $1 and outcome = 'rejected' group by 1 order by 2 desc limit 20) t), '{}') as reasons
  from csv_import_rows where csv_import_id = $1
) c
where i.id = $1
returning i.import_status`;

async function fail(client: PoolClient, importId: string, message: string): Promise<"failed"> {
  await client.query(
    `update csv_imports_raw set import_status = 'failed', error_log = jsonb_build_object('error', $2::text),
       processing_completed_at = now() where id = $1`,
    [importId, message],
  );
  return "failed";
}

/** Normalises import `importId` from its stored rows. `client` is a dedicated connection (it holds a temp table). */
export async function normalizeImport(
  client: PoolClient,
  importId: string,
  options: { batchSize?: number } = {},
): Promise<NormalizeOutcome> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const found = await client.query<{ headers: string[] | null; campaign_id: string | null }>(
    "select headers, campaign_id from csv_imports_raw where id = $1",
    [importId],
  );
  if (!found.rowCount) return "gone";
  const { campaign_id: campaignId } = found.rows[0];
  let headers = found.rows[0].headers;
  if (!headers?.length) {
    // Rows inserted directly (GraphQL, SQL) may come without the header list.
    const keys = await client.query<{ key: string }>(
      "select distinct jsonb_object_keys(raw_row) as key from (select raw_row from csv_import_rows where csv_import_id = $1 order by row_number limit 100) r",
      [importId],
    );
    headers = keys.rows.map((r) => r.key);
  }
  await client.query(
    "update csv_imports_raw set import_status = 'processing', processing_started_at = now(), processed_rows = 0, error_log = null where id = $1",
    [importId],
  );
  const { rows: counts } = await client.query<{ total: number; last: number | null }>(
    "select count(*)::int as total, max(row_number) as last from csv_import_rows where csv_import_id = $1",
    [importId],
  );
  await client.query("update csv_imports_raw set total_rows = $2 where id = $1", [importId, counts[0].total]);
  if (counts[0].total === 0) {
    if (!headers.length) return fail(client, importId, "The file has no rows.");
    return fail(client, importId, "The file has a header but no data rows.");
  }
  const mapping = mapColumns(headers);
  const missing = missingIdentityColumns(mapping);
  if (missing) return fail(client, importId, missing);
  const email = mapping.email ?? null;
  const linkedin = mapping.linkedin_url ?? null;

  // Which row wins each person (its first row in the file), for the whole file.
  await client.query(
    "create temp table if not exists import_keys (row_number integer primary key, dedupe_key text, winner integer, reject_reason text)",
  );
  await client.query("truncate import_keys");
  await client.query(
    `insert into import_keys (row_number, dedupe_key, reject_reason)
     select row_number,
            case when email ~ '${EMAIL_PATTERN}' then email
                 when email is null and linkedin is not null then 'linkedin:' || linkedin end,
            case when email is not null and email !~ '${EMAIL_PATTERN}' then 'invalid email: ' || left(email, 200)
                 when email is null and linkedin is null then 'no email and no LinkedIn URL' end
     from (
       select row_number,
              nullif(lower(btrim(raw_row ->> $2::text)), '') as email,
              nullif(lower(regexp_replace(btrim(raw_row ->> $3::text), '/+$', '')), '') as linkedin
       from csv_import_rows where csv_import_id = $1
     ) r`,
    [importId, email, linkedin],
  );
  await client.query(
    `update import_keys k set winner = w.row_number
     from (select distinct on (dedupe_key) dedupe_key, row_number from import_keys where dedupe_key is not null order by dedupe_key, row_number) w
     where k.dedupe_key = w.dedupe_key`,
  );
  await client.query("analyze import_keys");

  for (let from = 1; from <= (counts[0].last ?? 0); from += batchSize) {
    const to = from + batchSize - 1;
    await inTransaction(client, async () => {
      await client.query(STAGE_SQL, [importId, mapping, from, to, FREE_MAIL_DOMAINS]);
      for (const sql of COMPANIES_SQL) await client.query(sql, sql.includes("$1") ? [importId] : []);
      for (const sql of LEADS_SQL) await client.query(sql, sql.includes("$1") ? [importId] : []);
      await client.query(OUTCOMES_SQL, [importId]);
      if (campaignId) await client.query(ENROL_SQL, [campaignId]);
      await client.query(
        "update csv_imports_raw set processed_rows = (select count(*) from csv_import_rows where csv_import_id = $1 and row_number <= $2) where id = $1",
        [importId, to],
      );
    });
  }
  const { rows } = await client.query<{ import_status: NormalizeOutcome }>(FINISH_SQL, [importId]);
  return rows[0].import_status;
}
