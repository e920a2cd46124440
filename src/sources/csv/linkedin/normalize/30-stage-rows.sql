-- The batch's rows with their person's lead and what the event needs.
create temp table staged on commit drop as
select k.row_number, k.person, k.event_type, k.event_at, k.message_text, k.touch_winner,
       coalesce(k.row_number = k.touch_winner, false) as is_winner,
       p.lead_id,
       case
         when k.reject_reason is not null then k.reject_reason
         when p.lead_id is null and p.url_key is null then 'no lead with this email, and no LinkedIn profile URL to make one'
         when p.lead_id is null then 'no lead with this LinkedIn profile or email, and no name to make one'
       end as reject_reason,
       nullif(btrim(r.raw_row ->> (:mapping::jsonb ->> 'profile_url')), '') as profile_url_cell,
       nullif(btrim(r.raw_row ->> (:mapping::jsonb ->> 'campaign')), '') as campaign_name,
       r.id as source_row_id,
       r.raw_row,
       null::uuid as campaign_id,
       null::uuid as campaign_lead_id,
       null::uuid as event_id,
       null::bigint as event_row_id
from linkedin_keys k
join leadgraph_private.csv_import_raw_rows r on r.csv_import_id = :import_id and r.row_number = k.row_number
left join linkedin_people p on p.person = k.person
where k.row_number between :from_row and :to_row
