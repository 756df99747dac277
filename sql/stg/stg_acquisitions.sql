-- Who acquired each paying customer, for the cost indicators (cac, mroi, roas): the campaign of the
-- lead that the customer's first paid order came from (`stg_customers`), its team and owner, and
-- that lead's channel (else the campaign's). A first order without a lead, or a lead without a
-- campaign, leaves team and person `unassigned` (the channel stays the lead's when it has one): the
-- customer still counts for the company. One attribution per customer, from its first order on, so
-- a customer's later orders credit the campaign that brought it and a closed period never moves.
-- materialize: one row per customer, read by every cost query
SELECT
    cu.customer_id,
    cu.first_order_at,
    cu.first_order_key,
    l.campaign_id,
    coalesce(c.team_id, 'unassigned') AS team_id,
    coalesce(c.owner_id, 'unassigned') AS person_id,
    cu.channel
FROM stg_customers AS cu
LEFT JOIN stg_leads AS l ON l.lead_id = cu.first_lead_id AND l.record_key = l.lead_id
LEFT JOIN campaigns AS c ON c.campaign_id = l.campaign_id
