-- rule: DUP_EVENT
-- dataset: web_events
-- version: 1
-- catches: the second and later copies of an event_id (the first copy is kept)
SELECT record_key, month, concat('copy of event ', event_id) AS detail
FROM stg_web_events
WHERE record_key <> event_id
