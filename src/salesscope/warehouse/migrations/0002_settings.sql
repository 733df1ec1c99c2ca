-- 0002: account-wide settings (overload limit, proposal stage per pipeline, working hours).

CREATE TABLE settings (
    "name" VARCHAR NOT NULL,
    "value" VARCHAR NOT NULL,
    PRIMARY KEY ("name")
);
COMMENT ON TABLE settings IS 'Account-wide settings that change what reports count (one row per setting).';
COMMENT ON COLUMN settings."name" IS 'Setting name, e.g. overload_limit.';
COMMENT ON COLUMN settings."value" IS 'Setting value as text (typed where it is read).';
