-- Web and app events with their attribution through the campaign: team = the campaign's team,
-- person = the campaign's owner, channel = the event's channel (else the campaign's).
-- `record_key` is the event id; later copies of an id in its export and month get `#2`, `#3`… (the
-- copy number `key_copy` is given at ingest).
SELECT
    CASE WHEN e.key_copy = 1 THEN e.event_id ELSE concat(e.event_id, '#', CAST(e.key_copy AS VARCHAR)) END AS record_key,
    e.event_id,
    e.event_time,
    e.event_type,
    e.visitor_id,
    e.session_id,
    e.campaign_id,
    e.page,
    e.ip,
    e.user_agent,
    e.duration_ms,
    e.lead_id,
    coalesce(c.team_id, 'unassigned') AS team_id,
    coalesce(c.owner_id, 'unassigned') AS person_id,
    coalesce(e.channel, c.channel, 'unassigned') AS channel,
    e.month,
    e.source_file,
    e.source_line
FROM web_events AS e
LEFT JOIN campaigns AS c ON c.campaign_id = e.campaign_id
