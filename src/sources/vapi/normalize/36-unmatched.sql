-- An externalId that is no membership, on a call without a number.
update staged s set reject_reason = format('externalId %s is no campaign membership, and the call has no customer number', s.external_id)
where s.resource = 'call' and s.lead_id is null and s.reject_reason is null
