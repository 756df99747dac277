-- Leads with their attribution: person = owner, team = the owner's team (else the campaign's),
-- channel = the lead's channel (else the campaign's). `record_key` is the lead id; a second copy of
-- the same lead in one export and month gets `#2`, `#3`… (`key_copy`, given at ingest) so the audit
-- can exclude the copy and keep the first.
SELECT
    CASE WHEN l.key_copy = 1 THEN l.lead_id ELSE concat(l.lead_id, '#', CAST(l.key_copy AS VARCHAR)) END AS record_key,
    l.lead_id,
    l.created_at,
    l.mql_at,
    l.sql_at,
    l.first_contact_at,
    l.status,
    l.email,
    l.phone,
    l.name,
    l.company,
    l.visitor_id,
    l.campaign_id,
    l.is_test,
    l.owner_id AS person_id,
    coalesce(p.team_id, c.team_id, 'unassigned') AS team_id,
    coalesce(l.channel, c.channel, 'unassigned') AS channel,
    l.month,
    l.source_file,
    l.source_line
FROM leads AS l
LEFT JOIN people AS p ON p.person_id = l.owner_id
LEFT JOIN campaigns AS c ON c.campaign_id = l.campaign_id
