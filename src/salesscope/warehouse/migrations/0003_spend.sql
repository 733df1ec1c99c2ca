-- 0003: advertising spend and currency rates (marketing analytics); tasks deleted in the CRM.

CREATE TABLE spend (
    "id" BIGINT NOT NULL,
    "date" DATE NOT NULL,
    "platform" VARCHAR NOT NULL,
    "source" VARCHAR NOT NULL,
    "medium" VARCHAR,
    "campaign" VARCHAR,
    "ad" VARCHAR,
    "spend" DECIMAL(18,2) NOT NULL,
    "currency" VARCHAR NOT NULL,
    "spend_original" DECIMAL(18,2) NOT NULL,
    "clicks" BIGINT,
    "impressions" BIGINT,
    "file" VARCHAR,
    PRIMARY KEY ("id")
);
COMMENT ON TABLE spend IS 'Advertising spend per day, channel, campaign and ad (imported from ad platforms or files).';
COMMENT ON COLUMN spend."id" IS 'Row id assigned at import.';
COMMENT ON COLUMN spend."date" IS 'Day the money was spent (the ad platform''s reporting day).';
COMMENT ON COLUMN spend."platform" IS 'Where the row came from: google_ads, meta_ads, tiktok_ads or file.';
COMMENT ON COLUMN spend."source" IS 'Channel, matched against deals.utm_source (e.g. google, facebook).';
COMMENT ON COLUMN spend."medium" IS 'Matched against deals.utm_medium (e.g. cpc); NULL when unknown.';
COMMENT ON COLUMN spend."campaign" IS 'Matched against deals.utm_campaign; NULL when unknown.';
COMMENT ON COLUMN spend."ad" IS 'Ad name, matched against deals.utm_content; NULL when unknown.';
COMMENT ON COLUMN spend."spend" IS 'Money spent, converted to the account currency.';
COMMENT ON COLUMN spend."currency" IS 'ISO 4217 code of the currency the platform billed in.';
COMMENT ON COLUMN spend."spend_original" IS 'Money spent in `currency`, as imported.';
COMMENT ON COLUMN spend."clicks" IS 'Clicks, when the platform reports them.';
COMMENT ON COLUMN spend."impressions" IS 'Impressions, when the platform reports them.';
COMMENT ON COLUMN spend."file" IS 'Name of the file the row was imported from.';

CREATE TABLE currency_rates (
    "currency" VARCHAR NOT NULL,
    "date" DATE NOT NULL,
    "rate" DECIMAL(18,6) NOT NULL,
    PRIMARY KEY ("currency", "date")
);
COMMENT ON TABLE currency_rates IS 'Exchange rates into the account currency, per currency per day.';
COMMENT ON COLUMN currency_rates."currency" IS 'ISO 4217 code converted from.';
COMMENT ON COLUMN currency_rates."date" IS 'Day the rate applies to.';
COMMENT ON COLUMN currency_rates."rate" IS 'Units of the account currency for one unit of `currency`.';

-- tasks gain "deleted" NOT NULL. DuckDB cannot add a constrained column to a table with rows inside a
-- transaction, so the table is rebuilt with its rows copied over.
CREATE TABLE tasks_v3 (
    "id" BIGINT NOT NULL,
    "kind" VARCHAR NOT NULL,
    "text" VARCHAR,
    "created_at" TIMESTAMP NOT NULL,
    "due_at" TIMESTAMP,
    "completed_at" TIMESTAMP,
    "result" VARCHAR,
    "owner_id" BIGINT,
    "created_by" BIGINT,
    "deal_id" BIGINT,
    "contact_id" BIGINT,
    "deleted" BOOLEAN NOT NULL,
    PRIMARY KEY ("id")
);
INSERT INTO tasks_v3 SELECT "id", "kind", "text", "created_at", "due_at", "completed_at", "result", "owner_id",
    "created_by", "deal_id", "contact_id", FALSE FROM tasks;
DROP TABLE tasks;
ALTER TABLE tasks_v3 RENAME TO tasks;
COMMENT ON TABLE tasks IS 'Tasks set in the CRM (call back, meeting, follow-up, ...).';
COMMENT ON COLUMN tasks."id" IS 'CRM task id.';
COMMENT ON COLUMN tasks."kind" IS 'Task type: call, meeting, follow_up, ...';
COMMENT ON COLUMN tasks."text" IS 'What is to be done.';
COMMENT ON COLUMN tasks."created_at" IS 'When the task was set (UTC).';
COMMENT ON COLUMN tasks."due_at" IS 'When it is due (UTC).';
COMMENT ON COLUMN tasks."completed_at" IS 'When it was completed (UTC); NULL while open.';
COMMENT ON COLUMN tasks."result" IS 'Result text written on completion.';
COMMENT ON COLUMN tasks."owner_id" IS 'Who must do it (users.id).';
COMMENT ON COLUMN tasks."created_by" IS 'Who set it (users.id).';
COMMENT ON COLUMN tasks."deal_id" IS 'The deal it concerns (deals.id), if any.';
COMMENT ON COLUMN tasks."contact_id" IS 'The contact it concerns (contacts.id), if any.';
COMMENT ON COLUMN tasks."deleted" IS 'True once deleted in the CRM; reports leave such tasks out.';
