-- 0001: the canonical warehouse as first released. Frozen: never edit a released migration.

CREATE TABLE account (
    "id" BIGINT NOT NULL,
    "name" VARCHAR NOT NULL,
    "currency" VARCHAR NOT NULL,
    "timezone" VARCHAR NOT NULL,
    "crm" VARCHAR NOT NULL,
    "subdomain" VARCHAR,
    "base_url" VARCHAR,
    PRIMARY KEY ("id")
);
COMMENT ON TABLE account IS 'The CRM account this warehouse mirrors; exactly one row.';
COMMENT ON COLUMN account."id" IS 'CRM account id (1 for an imported or demo account).';
COMMENT ON COLUMN account."name" IS 'Account name as the CRM shows it.';
COMMENT ON COLUMN account."currency" IS 'ISO 4217 code of the account''s currency, e.g. UAH.';
COMMENT ON COLUMN account."timezone" IS 'IANA timezone in which days, weeks and months are bucketed.';
COMMENT ON COLUMN account."crm" IS 'Where the data comes from: kommo, import or demo.';
COMMENT ON COLUMN account."subdomain" IS 'CRM subdomain, used to build links to CRM cards.';
COMMENT ON COLUMN account."base_url" IS 'Web root of the CRM account, e.g. https://acme.kommo.com.';

CREATE TABLE teams (
    "id" BIGINT NOT NULL,
    "name" VARCHAR NOT NULL,
    PRIMARY KEY ("id")
);
COMMENT ON TABLE teams IS 'Sales teams (Kommo user groups).';
COMMENT ON COLUMN teams."id" IS 'Team id (Kommo group id).';
COMMENT ON COLUMN teams."name" IS 'Team name.';

CREATE TABLE users (
    "id" BIGINT NOT NULL,
    "name" VARCHAR NOT NULL,
    "email" VARCHAR,
    "team_id" BIGINT,
    "role" VARCHAR,
    "active" BOOLEAN NOT NULL,
    PRIMARY KEY ("id")
);
COMMENT ON TABLE users IS 'CRM users: the managers who own deals and do the work.';
COMMENT ON COLUMN users."id" IS 'CRM user id.';
COMMENT ON COLUMN users."name" IS 'Full name as the CRM shows it.';
COMMENT ON COLUMN users."email" IS 'Login e-mail, when the CRM gives it.';
COMMENT ON COLUMN users."team_id" IS 'The user''s team (teams.id); NULL when in no team.';
COMMENT ON COLUMN users."role" IS 'CRM role name, e.g. manager or head.';
COMMENT ON COLUMN users."active" IS 'False once the user is deactivated in the CRM.';

CREATE TABLE pipelines (
    "id" BIGINT NOT NULL,
    "name" VARCHAR NOT NULL,
    "sort" INTEGER NOT NULL,
    "is_main" BOOLEAN NOT NULL,
    "archived" BOOLEAN NOT NULL,
    PRIMARY KEY ("id")
);
COMMENT ON TABLE pipelines IS 'Sales pipelines (funnels).';
COMMENT ON COLUMN pipelines."id" IS 'CRM pipeline id.';
COMMENT ON COLUMN pipelines."name" IS 'Pipeline name.';
COMMENT ON COLUMN pipelines."sort" IS 'Display order in the CRM.';
COMMENT ON COLUMN pipelines."is_main" IS 'True for the account''s main pipeline.';
COMMENT ON COLUMN pipelines."archived" IS 'True when the pipeline is archived.';

CREATE TABLE stages (
    "id" BIGINT NOT NULL,
    "pipeline_id" BIGINT NOT NULL,
    "crm_id" BIGINT NOT NULL,
    "name" VARCHAR NOT NULL,
    "sort" INTEGER NOT NULL,
    "kind" VARCHAR NOT NULL,
    PRIMARY KEY ("id")
);
COMMENT ON TABLE stages IS 'Pipeline stages in order; kind tells open stages from the won and lost ends.';
COMMENT ON COLUMN stages."id" IS 'Warehouse-unique stage key (CRM status ids repeat across pipelines).';
COMMENT ON COLUMN stages."pipeline_id" IS 'The pipeline the stage belongs to (pipelines.id).';
COMMENT ON COLUMN stages."crm_id" IS 'The CRM''s status id (142 won and 143 lost in every Kommo pipeline).';
COMMENT ON COLUMN stages."name" IS 'Stage name.';
COMMENT ON COLUMN stages."sort" IS 'Position in the pipeline; open stages come before won and lost.';
COMMENT ON COLUMN stages."kind" IS 'open, won or lost.';

CREATE TABLE contacts (
    "id" BIGINT NOT NULL,
    "name" VARCHAR,
    "is_company" BOOLEAN NOT NULL,
    "phone" VARCHAR,
    "email" VARCHAR,
    "owner_id" BIGINT,
    "created_at" TIMESTAMP NOT NULL,
    "updated_at" TIMESTAMP,
    "deleted" BOOLEAN NOT NULL,
    PRIMARY KEY ("id")
);
COMMENT ON TABLE contacts IS 'People and companies the deals are made with.';
COMMENT ON COLUMN contacts."id" IS 'CRM contact id.';
COMMENT ON COLUMN contacts."name" IS 'Contact or company name.';
COMMENT ON COLUMN contacts."is_company" IS 'True for a company card.';
COMMENT ON COLUMN contacts."phone" IS 'Main phone number.';
COMMENT ON COLUMN contacts."email" IS 'Main e-mail.';
COMMENT ON COLUMN contacts."owner_id" IS 'Responsible user (users.id).';
COMMENT ON COLUMN contacts."created_at" IS 'When the contact was created (UTC).';
COMMENT ON COLUMN contacts."updated_at" IS 'When the contact was last changed (UTC).';
COMMENT ON COLUMN contacts."deleted" IS 'True once deleted in the CRM.';

CREATE TABLE deals (
    "id" BIGINT NOT NULL,
    "name" VARCHAR,
    "amount" DECIMAL(18,2) NOT NULL,
    "currency" VARCHAR NOT NULL,
    "pipeline_id" BIGINT NOT NULL,
    "stage_id" BIGINT NOT NULL,
    "owner_id" BIGINT,
    "contact_id" BIGINT,
    "created_at" TIMESTAMP NOT NULL,
    "updated_at" TIMESTAMP,
    "closed_at" TIMESTAMP,
    "loss_reason" VARCHAR,
    "source" VARCHAR,
    "utm_source" VARCHAR,
    "utm_medium" VARCHAR,
    "utm_campaign" VARCHAR,
    "utm_content" VARCHAR,
    "tags" VARCHAR[] NOT NULL,
    "deleted" BOOLEAN NOT NULL,
    PRIMARY KEY ("id")
);
COMMENT ON TABLE deals IS 'Deals (Kommo leads) with their current state.';
COMMENT ON COLUMN deals."id" IS 'CRM deal id.';
COMMENT ON COLUMN deals."name" IS 'Deal name.';
COMMENT ON COLUMN deals."amount" IS 'Deal budget in `currency`; 0 when not set.';
COMMENT ON COLUMN deals."currency" IS 'ISO 4217 code of `amount`.';
COMMENT ON COLUMN deals."pipeline_id" IS 'Current pipeline (pipelines.id).';
COMMENT ON COLUMN deals."stage_id" IS 'Current stage (stages.id).';
COMMENT ON COLUMN deals."owner_id" IS 'Current responsible user (users.id); reports credit this user.';
COMMENT ON COLUMN deals."contact_id" IS 'Main contact (contacts.id).';
COMMENT ON COLUMN deals."created_at" IS 'When the deal was created (UTC).';
COMMENT ON COLUMN deals."updated_at" IS 'When the deal was last changed (UTC).';
COMMENT ON COLUMN deals."closed_at" IS 'When the deal was won or lost (UTC); NULL while open.';
COMMENT ON COLUMN deals."loss_reason" IS 'Why the deal was lost, when it was.';
COMMENT ON COLUMN deals."source" IS 'The CRM''s lead source (form, chat, import, ...).';
COMMENT ON COLUMN deals."utm_source" IS 'utm_source of the lead.';
COMMENT ON COLUMN deals."utm_medium" IS 'utm_medium of the lead.';
COMMENT ON COLUMN deals."utm_campaign" IS 'utm_campaign of the lead.';
COMMENT ON COLUMN deals."utm_content" IS 'utm_content of the lead.';
COMMENT ON COLUMN deals."tags" IS 'Tags on the deal.';
COMMENT ON COLUMN deals."deleted" IS 'True once deleted in the CRM; reports leave such deals out.';

CREATE TABLE deal_stage_changes (
    "id" BIGINT NOT NULL,
    "deal_id" BIGINT NOT NULL,
    "from_stage_id" BIGINT,
    "to_stage_id" BIGINT NOT NULL,
    "at" TIMESTAMP NOT NULL,
    "by_user_id" BIGINT,
    PRIMARY KEY ("id")
);
COMMENT ON TABLE deal_stage_changes IS 'Every move of a deal from one stage to another, append-only.';
COMMENT ON COLUMN deal_stage_changes."id" IS 'Change id (CRM event id).';
COMMENT ON COLUMN deal_stage_changes."deal_id" IS 'The deal that moved (deals.id).';
COMMENT ON COLUMN deal_stage_changes."from_stage_id" IS 'Stage before the move (stages.id); NULL when unknown.';
COMMENT ON COLUMN deal_stage_changes."to_stage_id" IS 'Stage after the move (stages.id).';
COMMENT ON COLUMN deal_stage_changes."at" IS 'When the move happened (UTC).';
COMMENT ON COLUMN deal_stage_changes."by_user_id" IS 'Who moved it (users.id); NULL for robots and integrations.';

CREATE TABLE activities (
    "id" BIGINT NOT NULL,
    "kind" VARCHAR NOT NULL,
    "at" TIMESTAMP NOT NULL,
    "author_id" BIGINT,
    "deal_id" BIGINT,
    "contact_id" BIGINT,
    "details" VARCHAR,
    PRIMARY KEY ("id")
);
COMMENT ON TABLE activities IS 'One row per action a person took: notes, messages, stage moves, calls, tasks, ...';
COMMENT ON COLUMN activities."id" IS 'Action id (CRM event id).';
COMMENT ON COLUMN activities."kind" IS 'What was done, e.g. note, message_in, message_out, call_out, stage_change, deal_created, task_created, task_completed.';
COMMENT ON COLUMN activities."at" IS 'When it was done (UTC).';
COMMENT ON COLUMN activities."author_id" IS 'Who did it (users.id); NULL for clients and robots.';
COMMENT ON COLUMN activities."deal_id" IS 'The deal it concerns (deals.id), if any.';
COMMENT ON COLUMN activities."contact_id" IS 'The contact it concerns (contacts.id), if any.';
COMMENT ON COLUMN activities."details" IS 'Free text or JSON with what changed (value before/after, text).';

CREATE TABLE calls (
    "id" BIGINT NOT NULL,
    "direction" VARCHAR NOT NULL,
    "duration_s" INTEGER NOT NULL,
    "status" VARCHAR NOT NULL,
    "recording_url" VARCHAR,
    "at" TIMESTAMP NOT NULL,
    "author_id" BIGINT,
    "deal_id" BIGINT,
    "contact_id" BIGINT,
    "phone" VARCHAR,
    PRIMARY KEY ("id")
);
COMMENT ON TABLE calls IS 'Phone calls logged in the CRM.';
COMMENT ON COLUMN calls."id" IS 'Call id (CRM note id).';
COMMENT ON COLUMN calls."direction" IS 'in or out.';
COMMENT ON COLUMN calls."duration_s" IS 'Talk time in seconds; 0 when not answered.';
COMMENT ON COLUMN calls."status" IS 'Call outcome: answered, missed, busy, voicemail, ...';
COMMENT ON COLUMN calls."recording_url" IS 'Link to the recording, when there is one.';
COMMENT ON COLUMN calls."at" IS 'When the call started (UTC).';
COMMENT ON COLUMN calls."author_id" IS 'The manager on the call (users.id).';
COMMENT ON COLUMN calls."deal_id" IS 'The deal it concerns (deals.id), if any.';
COMMENT ON COLUMN calls."contact_id" IS 'The contact it concerns (contacts.id), if any.';
COMMENT ON COLUMN calls."phone" IS 'The other party''s number.';

CREATE TABLE tasks (
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
    PRIMARY KEY ("id")
);
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

CREATE TABLE goals (
    "id" BIGINT NOT NULL,
    "scope" VARCHAR NOT NULL,
    "user_id" BIGINT,
    "team_id" BIGINT,
    "period_start" DATE NOT NULL,
    "period_end" DATE NOT NULL,
    "metric" VARCHAR NOT NULL,
    "target" DECIMAL(18,2) NOT NULL,
    PRIMARY KEY ("id")
);
COMMENT ON TABLE goals IS 'Sales plans per manager or team per period.';
COMMENT ON COLUMN goals."id" IS 'Goal id.';
COMMENT ON COLUMN goals."scope" IS 'manager or team.';
COMMENT ON COLUMN goals."user_id" IS 'The manager (users.id) when scope is manager.';
COMMENT ON COLUMN goals."team_id" IS 'The team (teams.id) when scope is team.';
COMMENT ON COLUMN goals."period_start" IS 'First day of the period (account-local date).';
COMMENT ON COLUMN goals."period_end" IS 'Last day of the period, inclusive (account-local date).';
COMMENT ON COLUMN goals."metric" IS 'won_amount or won_count.';
COMMENT ON COLUMN goals."target" IS 'The plan: money in account currency, or a count.';

CREATE TABLE sync_state (
    "source" VARCHAR NOT NULL,
    "entity" VARCHAR NOT NULL,
    "cursor" VARCHAR,
    "started_at" TIMESTAMP,
    "finished_at" TIMESTAMP,
    "rows" BIGINT,
    PRIMARY KEY ("source", "entity")
);
COMMENT ON TABLE sync_state IS 'Where each connector''s sync of each entity stands.';
COMMENT ON COLUMN sync_state."source" IS 'Connector name: kommo, import, demo.';
COMMENT ON COLUMN sync_state."entity" IS 'What is synced: leads, events, ... or all.';
COMMENT ON COLUMN sync_state."cursor" IS 'Opaque resume point (timestamp or page link).';
COMMENT ON COLUMN sync_state."started_at" IS 'When the last run started (UTC).';
COMMENT ON COLUMN sync_state."finished_at" IS 'When the last run finished (UTC); data is fresh as of then.';
COMMENT ON COLUMN sync_state."rows" IS 'Rows written by the last run.';
