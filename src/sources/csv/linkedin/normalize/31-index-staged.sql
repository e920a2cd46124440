alter table staged add primary key (row_number)
