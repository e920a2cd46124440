-- (Statements below join the batch to itself by row number: an index, whatever the planner guesses of a table it has no statistics for.)
alter table staged add primary key (row_number)
