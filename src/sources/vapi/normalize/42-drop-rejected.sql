delete from staged where reject_reason is not null or resource <> 'call'
