-- The bodies that need more than SQL: HTML without a text part (real
-- campaign emails carry only HTML), and received emails, whose quoted
-- original is split off; sent emails with text, opens, clicks and labels
-- skip it. index.ts converts them while PostgreSQL runs the steps 40-53;
-- 55-converted-bodies.sql writes them back.
select source_id, email_body as body, body_is_html as is_html,
       event_type in ('email_replied', 'auto_reply_received') as is_reply
from staged
where email_body is not null and (body_is_html or event_type in ('email_replied', 'auto_reply_received'))
