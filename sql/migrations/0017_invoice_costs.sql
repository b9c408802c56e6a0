-- 0017_invoice_costs.sql - what Azure invoiced for SQL Database backup
-- storage, per database, meter and day, from a Cost Management export
-- (`tierledger import-costs`; the issue "Finance can rely on it"). A billing
-- period re-imported replaces the stored one, so the writer may DELETE here.
CREATE TABLE invoice_costs (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    billing_period date        NOT NULL CHECK (extract(day FROM billing_period) = 1),
    resource_id    text        NOT NULL,
    resource_key   text        NOT NULL GENERATED ALWAYS AS (lower(resource_id)) STORED,
    meter          text        NOT NULL,
    charge_day     date        NOT NULL,
    quantity       numeric,
    billed_cost    numeric     NOT NULL,
    effective_cost numeric     NOT NULL,
    currency       text        NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    export_format  text        NOT NULL CHECK (export_format IN ('focus', 'mca', 'ea', 'payg')),
    source_file    text        NOT NULL,
    source_line    integer     NOT NULL,
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    recorded_by    text,
    recorded_via   text
);
CREATE INDEX invoice_costs_period ON invoice_costs (billing_period, resource_key);
CREATE TRIGGER invoice_costs_recorded BEFORE INSERT ON invoice_costs
    FOR EACH ROW EXECUTE FUNCTION tierledger_recorded();
COMMENT ON TABLE invoice_costs IS
    'SQL Database backup storage as Azure invoiced it, one row per export line: database, meter, '
    'day, quantity and cost (import-costs); a billing period imported again replaces the stored one';
COMMENT ON COLUMN invoice_costs.id IS 'row id, in import order';
COMMENT ON COLUMN invoice_costs.billing_period IS 'first day of the billing month';
COMMENT ON COLUMN invoice_costs.resource_id IS 'the database''s ARM resource id as the export wrote it';
COMMENT ON COLUMN invoice_costs.resource_key IS 'lower(resource_id): matched case-insensitively';
COMMENT ON COLUMN invoice_costs.meter IS 'the meter name (FOCUS x_SkuMeterName or SkuMeter; MeterName)';
COMMENT ON COLUMN invoice_costs.charge_day IS 'the day charged (FOCUS ChargePeriodStart; Date)';
COMMENT ON COLUMN invoice_costs.quantity IS 'quantity in the meter''s unit (GB/Month); NULL when absent';
COMMENT ON COLUMN invoice_costs.billed_cost IS 'the invoiced cost as the export wrote it (FOCUS BilledCost; CostInBillingCurrency; PreTaxCost)';
COMMENT ON COLUMN invoice_costs.effective_cost IS 'FOCUS EffectiveCost; the billed cost for the other exports';
COMMENT ON COLUMN invoice_costs.currency IS 'billing currency (ISO 4217)';
COMMENT ON COLUMN invoice_costs.export_format IS 'focus, mca (camelCase), ea (PascalCase) or payg';
COMMENT ON COLUMN invoice_costs.source_file IS 'the file imported';
COMMENT ON COLUMN invoice_costs.source_line IS 'its line in the file';
COMMENT ON COLUMN invoice_costs.recorded_at IS 'when it was imported';
COMMENT ON COLUMN invoice_costs.recorded_by IS 'the PostgreSQL login role that imported it';
COMMENT ON COLUMN invoice_costs.recorded_via IS 'the import (tierledger.recorded_via)';
GRANT SELECT, INSERT, DELETE ON invoice_costs TO tierledger_writer;
GRANT SELECT ON invoice_costs TO tierledger_reader;
