-- The known leads this batch's winning rows reached, for the batches after
-- it (mark-same-lead). A lead this import created cannot be reached again by
-- a later row: that row would be the same person in the file (key-rows).
update import_keys k set lead_id = s.lead_id
from staged s
where k.batch_row between :from_row and :to_row and k.row_number = s.row_number
  and s.is_winner and s.lead_id is not null and not s.lead_is_new
