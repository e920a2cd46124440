-- The bodies that need more than SQL (index.ts converts them): HTML without a
-- text part, and received emails, whose quoted original is split off. Most
-- rows are neither (sent emails with text, opens, clicks, labels).
select source_id, email_body as body, body_is_html as is_html,
       event_type in ('email_replied', 'auto_reply_received') as is_reply
from staged
where email_body is not null and (body_is_html or event_type in ('email_replied', 'auto_reply_received'))
