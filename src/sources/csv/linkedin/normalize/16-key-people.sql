-- Each person's first row and what a new lead would be made of: the first
-- profile, email and name their rows give.
insert into linkedin_people (person, first_row, url_key, profile_url, email, first_name, last_name)
select person, min(row_number),
       (array_agg(url_key order by row_number) filter (where url_key is not null))[1],
       (array_agg(profile_url order by row_number) filter (where profile_url is not null))[1],
       (array_agg(email order by row_number) filter (where email is not null))[1],
       (array_agg(first_name order by row_number) filter (where first_name is not null or last_name is not null))[1],
       (array_agg(last_name order by row_number) filter (where first_name is not null or last_name is not null))[1]
from linkedin_keys
where person is not null
group by person
