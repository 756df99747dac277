-- Daily social account figures, attributed to the account's team. Social figures belong to no
-- person and to the `social` channel. `record_key` is date|account_id.
SELECT
    concat_ws('|', CAST(s.date AS VARCHAR), s.account_id) AS record_key,
    s.date,
    s.account_id,
    coalesce(s.platform, a.platform) AS platform,
    s.followers,
    coalesce(s.likes, 0) AS likes,
    coalesce(s.comments, 0) AS comments,
    coalesce(s.shares, 0) AS shares,
    coalesce(s.posts, 0) AS posts,
    coalesce(a.team_id, 'unassigned') AS team_id,
    'unassigned' AS person_id,
    'social' AS channel,
    s.month,
    s.source_file,
    s.source_line
FROM social_stats AS s
LEFT JOIN social_accounts AS a ON a.account_id = s.account_id
