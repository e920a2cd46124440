-- Who each row of the file is, decided for the whole file before any batch
-- (so any batch size gives the same result). A temp table: it lasts as long
-- as the connection, across the batches' transactions.
create temp table if not exists import_keys (
  row_number integer primary key,
  -- The person: the email's normal form, else 'linkedin:' || the LinkedIn URL's.
  person text,
  has_email boolean not null,
  linkedin_key text,
  reject_reason text,
  -- The row whose values the person gets (null for a rejected row).
  winner integer,
  -- The batch holding this row number writes the row: a duplicate is written
  -- with or after its winner.
  batch_row integer not null,
  -- The lead a winning row reached, once its batch is written in this run.
  lead_id uuid
)
