-- leads.last_event_at is set once per drain (refresh-last-event-at), not by
-- every batch's events: the events trigger marks the leads instead
-- (leadgraph_private.tg_events__last_event_at). This transaction only.
select set_config('leadgraph.defer_last_event_at', 'on', true)
