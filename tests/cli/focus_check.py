#!/usr/bin/env python3
"""focus_check.py ROWS.csv TOTALS.csv METADATA.json - checks a chargeback
against FOCUS 1.2 (FinOps Foundation, specification/columns/*.md) as the
issue "Finance can rely on it" asks: the header has the 21 mandatory columns,
FOCUS columns come before x_ columns, every mandatory column is non-null
where FOCUS requires it, date-times are ISO 8601 UTC with Z, decimals are
plain (no exponent, no separators), Tags is a JSON object of scalars, the
conditional rules between columns hold (RegionName with RegionId, SkuMeter
null without SkuId, costs = unit price x quantity), BilledCost sums exactly
to the totals file's, and the metadata lists exactly the columns of the file.
Prints one line per violation and a summary; exits 1 when any."""
import csv
import decimal
import json
import re
import sys

MANDATORY = ["BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency",
             "BillingPeriodEnd", "BillingPeriodStart", "ChargeCategory", "ChargeClass",
             "ChargeDescription", "ChargePeriodEnd", "ChargePeriodStart", "ContractedCost",
             "EffectiveCost", "InvoiceIssuerName", "ListCost", "PricingQuantity", "PricingUnit",
             "ProviderName", "PublisherName", "ServiceCategory", "ServiceName"]
NULLABLE = {"ChargeClass"}  # null unless the row corrects an earlier billing period
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")
DECIMALS = {"BilledCost", "ContractedCost", "EffectiveCost", "ListCost", "PricingQuantity",
            "ConsumedQuantity", "ListUnitPrice", "ContractedUnitPrice"}
ALLOWED = {"ChargeCategory": {"Usage", "Purchase", "Tax", "Credit", "Adjustment"},
           "ChargeClass": {"", "Correction"},
           "ChargeFrequency": {"One-Time", "Recurring", "Usage-Based"},
           "PricingCategory": {"Standard", "Dynamic", "Committed", "Other"},
           "ServiceCategory": {"Databases"},
           "ServiceSubcategory": {"Caching", "Data Warehouses", "Ledger Databases",
                                  "NoSQL Databases", "Relational Databases",
                                  "Time Series Databases", "Other (Databases)"}}
bad = []


def fail(where, what):
    bad.append("%s: %s" % (where, what))


def check_header(name, header):
    for col in MANDATORY:
        if col not in header:
            fail(name, "mandatory column %s is missing" % col)
    first_x = next((i for i, c in enumerate(header) if c.startswith("x_")), len(header))
    if any(not c.startswith("x_") for c in header[first_x:]):
        fail(name, "a FOCUS column comes after an x_ column")


def check_row(where, row):
    for col, value in row.items():
        if col in MANDATORY and col not in NULLABLE and value == "":
            fail(where, "%s is null" % col)
        if value and (col.endswith("PeriodStart") or col.endswith("PeriodEnd")):
            if not DATETIME.match(value):
                fail(where, "%s '%s' is not ISO 8601 UTC with Z" % (col, value))
        if value and col in DECIMALS and not DECIMAL.match(value):
            fail(where, "%s '%s' is not a plain decimal" % (col, value))
        if col in ALLOWED and value not in ALLOWED[col] and not (col == "ChargeClass"):
            fail(where, "%s '%s' is not an allowed value" % (col, value))
    if row.get("ChargeClass", "") not in ("", "Correction"):
        fail(where, "ChargeClass '%s'" % row["ChargeClass"])
    tags = row.get("Tags", "")
    if tags:
        try:
            obj = json.loads(tags)
            if not isinstance(obj, dict) or any(isinstance(v, (dict, list)) for v in obj.values()):
                fail(where, "Tags is not a JSON object of scalars")
        except ValueError:
            fail(where, "Tags is not JSON")
    pairs = [("RegionId", "RegionName"), ("SubAccountId", "SubAccountName"),
             ("ResourceId", "ResourceType")]
    for a, b in pairs:
        if a in row and b in row and (row[a] == "") != (row[b] == ""):
            fail(where, "%s and %s must be null together" % (a, b))
    if "SkuMeter" in row and row.get("SkuId", "") == "" and row["SkuMeter"]:
        fail(where, "SkuMeter must be null when SkuId is")
    if row.get("PricingQuantity") and row.get("PricingUnit", "") == "":
        fail(where, "PricingUnit is null with a PricingQuantity")
    q = float(row.get("PricingQuantity") or 0)
    for price, cost in (("ListUnitPrice", "ListCost"), ("ContractedUnitPrice", "ContractedCost")):
        if price in row and row[price]:
            if abs(float(row[price]) * q - float(row[cost])) > 1e-5:
                fail(where, "%s x PricingQuantity != %s" % (price, cost))


def main(rows_path, totals_path, meta_path):
    total_rows = total_totals = decimal.Decimal(0)
    counts = []
    for path in (rows_path, totals_path):
        with open(path, newline="") as f:
            reader = csv.DictReader(f)
            check_header(path, reader.fieldnames)
            n = 0
            for n, row in enumerate(reader, start=2):
                check_row("%s:%d" % (path, n), row)
                if path == rows_path:
                    total_rows += decimal.Decimal(row["BilledCost"] or "0")
                else:
                    total_totals += decimal.Decimal(row["BilledCost"] or "0")
            counts.append(n - 1 if n else 0)
            if path == rows_path:
                header = reader.fieldnames
    if total_rows != total_totals:  # exactly: the totals add the cells as written
        fail(rows_path, "BilledCost sums to %s, the totals file to %s"
             % (total_rows, total_totals))
    with open(meta_path) as f:
        meta = json.load(f)
    if meta.get("DataGenerator") != "tierledger":
        fail(meta_path, "DataGenerator is %r" % meta.get("DataGenerator"))
    schema = meta.get("Schema", {})
    if schema.get("FocusVersion") != "1.2" or not schema.get("SchemaId"):
        fail(meta_path, "FocusVersion or SchemaId missing")
    if not DATETIME.match(schema.get("CreationDate", "")):
        fail(meta_path, "CreationDate is not ISO 8601 UTC with Z")
    names = [c.get("ColumnName") for c in schema.get("ColumnDefinition", [])]
    if names != header:
        fail(meta_path, "ColumnDefinition lists %s, the file has %s" % (names, header))
    if any(not c.get("DataType") for c in schema.get("ColumnDefinition", [])):
        fail(meta_path, "a column has no DataType")
    for line in bad:
        print("focus_check: " + line)
    print("focus_check: %d rows, %d totals, BilledCost %.6f: %d violations"
          % (counts[0], counts[1], total_rows, len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    sys.exit(main(*sys.argv[1:]))
