-- Every entity an indicator is reported for even when it had no activity: the company, every team
-- and person in the org exports, and the `unassigned` bucket of each grain. Channels appear only
-- where they have data.
SELECT 'team' AS grain, team_id AS entity_id FROM teams
UNION ALL
SELECT 'team' AS grain, 'unassigned' AS entity_id
UNION ALL
SELECT 'person' AS grain, person_id AS entity_id FROM people
UNION ALL
SELECT 'person' AS grain, 'unassigned' AS entity_id
UNION ALL
SELECT 'company' AS grain, CAST($company_id AS VARCHAR) AS entity_id
