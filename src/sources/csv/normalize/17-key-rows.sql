-- Every row's person and the row that wins each person: its first row with
-- an email, else its first row. A row without an email whose LinkedIn
-- profile is on a row with one is that person (Apollo exports a person by
-- LinkedIn before revealing their email); rows without either are rejected.
insert into import_keys (row_number, person, has_email, linkedin_key, reject_reason, winner, batch_row)
with checked as (
  -- (a row that is not an object has no cells: ->> gives null)
  select row_number, is_object, email, linkedin_key, email_is_valid as valid from import_cells
),
keyed as (
  select row_number, linkedin_key,
         case when valid then email end as email,
         case when not is_object then 'the stored row is not a JSON object of header -> cell text'
              when not valid then 'invalid email: ' || left(email, 200)
              when email is null and linkedin_key is null then 'no email and no LinkedIn URL' end as reject_reason
  from checked
),
email_of_profile as (
  select distinct on (linkedin_key) linkedin_key, email
  from keyed
  where email is not null and linkedin_key is not null
  order by linkedin_key, row_number
),
people as (
  select k.row_number, k.linkedin_key, k.reject_reason, k.email is not null as has_email,
         case when k.reject_reason is null then coalesce(k.email, p.email, 'linkedin:' || k.linkedin_key) end as person
  from keyed k
  left join email_of_profile p on k.email is null and p.linkedin_key = k.linkedin_key
),
won as (
  select people.*,
         case when person is not null then
           coalesce(min(row_number) filter (where has_email) over (partition by person), min(row_number) over (partition by person))
         end as winner
  from people
)
select row_number, person, has_email, linkedin_key, reject_reason, winner, greatest(row_number, winner)
from won
