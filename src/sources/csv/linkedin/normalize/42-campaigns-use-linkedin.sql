-- A campaign LinkedIn touches happened in does LinkedIn outreach.
update campaigns c set uses_linkedin = true
where c.id in (select s.campaign_id from staged s where s.campaign_id is not null) and not c.uses_linkedin
