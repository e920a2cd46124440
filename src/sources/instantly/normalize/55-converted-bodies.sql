-- The bodies index.ts converted (35-bodies-to-convert.sql), back in one statement.
update staged s set email_body = b.body, email_quoted_text = b.quoted_text, body_is_html = false
from unnest(:source_ids::text[], :bodies::text[], :quoted_texts::text[]) as b (source_id, body, quoted_text)
where s.source_id = b.source_id
