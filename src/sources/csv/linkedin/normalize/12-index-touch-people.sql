create index if not exists linkedin_people_first_row_idx on linkedin_people (first_row)
