-- What each row of the file is, decided for the whole file before any batch
-- (so any batch size gives the same result): its person, its touch, or why
-- it is rejected. Temp tables: they last as long as the connection, across
-- the batches' transactions.
create temp table if not exists linkedin_keys (
  row_number integer primary key,
  -- 'linkedin:' || the profile's normal form, else 'email:' || the email's.
  person text,
  url_key text,
  -- The profile URL cell when it names a profile we can match, as written.
  profile_url text,
  email text,
  first_name text,
  last_name text,
  event_type text,
  event_at timestamptz,
  message_text text,
  reject_reason text,
  -- The first row of the file with the same touch (person, type, moment, text).
  touch_winner integer
)
