-- rule: UA_BOT
-- dataset: web_events
-- version: 1
-- catches: events whose user agent matches a known crawler or bot pattern (reference/bot_user_agents.txt), unless UA_NONBROWSER already names it
-- judges: every month in one pass: a row's verdict depends only on rows at or before it in its month and the look-back, so judging months together is judging each alone
-- reads: the judged months ($judge_from … $judge_to); its ledger depends on nothing later
WITH agents AS (
    SELECT user_agent, bot_agent(user_agent) AS pattern
    FROM (SELECT DISTINCT user_agent FROM stg_web_events WHERE month >= $judge_from AND month < $judge_to AND user_agent IS NOT NULL) AS a
    WHERE non_browser_agent(user_agent) IS NULL
)
SELECT e.record_key, e.month, concat('user agent matches ', a.pattern) AS detail
FROM stg_web_events AS e
JOIN agents AS a ON a.user_agent = e.user_agent
WHERE e.month >= $judge_from AND e.month < $judge_to AND a.pattern IS NOT NULL
