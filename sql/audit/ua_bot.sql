-- rule: UA_BOT
-- dataset: web_events
-- version: 1
-- catches: events whose user agent matches a known crawler or bot pattern (reference/bot_user_agents.txt), unless UA_NONBROWSER already names it
-- reads: the judged month ($month_from); its ledger depends on nothing later
WITH agents AS (
    SELECT user_agent, bot_agent(user_agent) AS pattern
    FROM (SELECT DISTINCT user_agent FROM stg_web_events WHERE month = $month_from AND user_agent IS NOT NULL) AS a
    WHERE non_browser_agent(user_agent) IS NULL
)
SELECT e.record_key, e.month, concat('user agent matches ', a.pattern) AS detail
FROM stg_web_events AS e
JOIN agents AS a ON a.user_agent = e.user_agent
WHERE e.month = $month_from AND a.pattern IS NOT NULL
