// A small, realistic data set for GraphQL tests: an Apollo import, two
// companies, three leads in the example campaign, and their timelines.
import type pg from "pg";

export const IDS = {
  defaultUser: "00000000-0000-0000-0000-000000000001",
  campaign: "00000000-0000-0000-0000-000000000007",
  csvImport: "10000000-0000-4000-8000-000000000001",
  northwind: "20000000-0000-4000-8000-000000000001",
  corpao: "20000000-0000-4000-8000-000000000002",
  jane: "30000000-0000-4000-8000-000000000001",
  tom: "30000000-0000-4000-8000-000000000002",
  ana: "30000000-0000-4000-8000-000000000003",
};

const SQL = `
update campaigns set campaign_status = 'active', instantly_campaign_id = '8f1d2c3a-6b7e-4c21-9d0a-2b5e7f9a1c44'
 where id = '${IDS.campaign}';

insert into csv_imports_raw (id, file_name, file_size_bytes, uploaded_by, headers, total_rows, import_status, processed_rows,
                             failed_rows, error_log, uploaded_at, processing_started_at, processing_completed_at)
values ('${IDS.csvImport}', 'apollo-contacts-export.csv', 2048, '${IDS.defaultUser}', '{First Name,Last Name,Email,Company Name,Website}',
        4, 'completed_with_errors', 4, 1, '{"rejected": {"no email and no LinkedIn URL": 1}}',
        '2025-10-20T09:00:00Z', '2025-10-20T09:00:01Z', '2025-10-20T09:00:02Z');

insert into companies (id, company_name, company_domain, website, industry, employee_count, city, country, technologies, first_seen_in_csv_id)
values ('${IDS.northwind}', 'Northwind Labs', 'northwind-example.com', 'https://northwind-example.com', 'information technology & services',
        23, 'Austin', 'United States', '{Gmail,Slack,HubSpot}', '${IDS.csvImport}'),
       ('${IDS.corpao}', 'Corpão', 'corpao-example.com.br', 'https://corpao-example.com.br/', 'marketing & advertising',
        8, 'São Paulo', 'Brazil', '{}', '${IDS.csvImport}');

insert into leads (id, first_name, last_name, email, job_title, seniority, linkedin_url, company_id, lead_source, csv_import_id, lead_status)
values ('${IDS.jane}', 'Jane', 'Doe', 'jane.doe@northwind-example.com', 'Co-Founder & CEO', 'Founder',
        'http://www.linkedin.com/in/jane-doe-example', '${IDS.northwind}', 'csv', '${IDS.csvImport}', 'replied'),
       ('${IDS.tom}', 'Tom', 'Berg', 'tom.berg@northwind-example.com', 'VP Sales', 'Vp', null, '${IDS.northwind}', 'csv', '${IDS.csvImport}', 'contacted'),
       ('${IDS.ana}', 'Ana', 'Souza', 'ana@corpao-example.com.br', 'Diretora de Marketing', 'Director', null, '${IDS.corpao}', 'csv', '${IDS.csvImport}', 'contacted');

insert into csv_import_rows (csv_import_id, row_number, raw_row, outcome, outcome_reason, duplicate_of_row_number, lead_id)
values ('${IDS.csvImport}', 1, '{"First Name": "Jane", "Email": "jane.doe@northwind-example.com"}', 'inserted', null, null, '${IDS.jane}'),
       ('${IDS.csvImport}', 2, '{"First Name": "Tom", "Email": "tom.berg@northwind-example.com"}', 'inserted', null, null, '${IDS.tom}'),
       ('${IDS.csvImport}', 3, '{"First Name": "Jane", "Email": "JANE.DOE@northwind-example.com "}', 'duplicate', 'same email as row 1', 1, '${IDS.jane}'),
       ('${IDS.csvImport}', 4, '{"First Name": "", "Email": ""}', 'rejected', 'no email and no LinkedIn URL', null, null);

insert into campaign_leads (campaign_id, lead_id, email_status, email_sent_at, email_opened_at, email_replied_at, overall_status, sequence_step)
values ('${IDS.campaign}', '${IDS.jane}', 'replied', '2025-10-21T14:04:20Z', null, '2025-10-21T16:40:02Z', 'replied', 1),
       ('${IDS.campaign}', '${IDS.tom}', 'opened', '2025-10-21T14:10:00Z', '2025-10-24T10:00:00Z', null, 'active', 2),
       ('${IDS.campaign}', '${IDS.ana}', 'bounced', '2025-10-21T14:05:00Z', null, null, 'bounced', 1);

insert into events (event_source, event_type, lead_id, campaign_id, campaign_lead_id, event_timestamp, email_subject, email_body,
                    call_outcome, call_duration_seconds, call_transcript, note_text, performed_by)
select v.source, v.type, v.lead_id::uuid, '${IDS.campaign}', cl.id, v.at::timestamptz, v.subject, v.body, v.outcome, v.duration,
       v.transcript, v.note, v.performed_by::uuid
from (values
  ('instantly', 'email_sent',     '${IDS.jane}', '2025-10-21T14:04:20Z', 'Jane, quick question', 'Hi Jane, we automate lead follow-up for SaaS teams.', null, null, null, null, null),
  ('instantly', 'email_replied',  '${IDS.jane}', '2025-10-21T16:40:02Z', 'Re: Jane, quick question', 'Sounds interesting, can you send pricing?', null, null, null, null, null),
  ('manual',    'note_added',     '${IDS.jane}', '2025-10-22T12:00:00Z', null, null, null, null, null, 'Call booked for Thursday', '${IDS.defaultUser}'),
  ('vapi',      'call_completed', '${IDS.jane}', '2025-10-23T15:00:00Z', null, null, 'answered', 540, 'We walked through pricing and the onboarding plan.', null, null),
  ('instantly', 'email_sent',     '${IDS.tom}',  '2025-10-21T14:10:00Z', 'Tom, quick question', 'Hi Tom, we automate lead follow-up.', null, null, null, null, null),
  ('instantly', 'email_sent',     '${IDS.tom}',  '2025-10-24T09:00:00Z', 'following up', 'Bumping this.', null, null, null, null, null),
  ('instantly', 'email_opened',   '${IDS.tom}',  '2025-10-24T10:00:00Z', null, null, null, null, null, null, null),
  ('instantly', 'email_sent',     '${IDS.ana}',  '2025-10-21T14:05:00Z', 'Ana, quick question', 'Olá Ana, we automate lead follow-up.', null, null, null, null, null),
  ('instantly', 'email_bounced',  '${IDS.ana}',  '2025-10-21T14:05:11Z', null, null, null, null, null, null, null)
) as v(source, type, lead_id, at, subject, body, outcome, duration, transcript, note, performed_by)
join campaign_leads cl on cl.lead_id = v.lead_id::uuid and cl.campaign_id = '${IDS.campaign}';
`;

export async function seed(pool: pg.Pool): Promise<void> {
  await pool.query(SQL);
}
