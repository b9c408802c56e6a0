#!/usr/bin/env python3
"""fakeprices.py - a fake of the Azure Retail Prices API on loopback, for
`tierledger prices fetch` tests.

GET /api/retail/prices?currencyCode='USD'&$filter=serviceName eq 'SQL Database'
and armRegionName eq 'R' answers the documented shape (learn.microsoft.com,
"Azure Retail Prices overview": {"BillingCurrency", "CustomerEntityId",
"CustomerEntityType", "Items": [{currencyCode, tierMinimumUnits, retailPrice,
unitPrice, armRegionName, location, effectiveStartDate, meterId, meterName,
productId, skuId, productName, skuName, serviceName, serviceId, serviceFamily,
unitOfMeasure, type, isPrimaryMeterRegion, armSkuName}], "NextPageLink",
"Count"}) in pages of 4 items with $skip paging. Every item is SYNTHETIC:
made-up prices and ids in the documented shape, with noise the client must
skip (compute meters, a Dev/Test price, a volume tier). Regions westeurope,
northeurope and eastus; northeurope has no Hyperscale RA-GZRS backup meter.

--mode ok | throttle (the first request answers 429 with Retry-After: 1)
| badpage (the second page of a list is cut-off JSON) | loop (every
NextPageLink points back at page 1) | foreign (a NextPageLink to another host).
Usage: fakeprices.py --port-file F [--mode M] [--log F] [--ttl S]
"""
import argparse
import json
import os
import signal
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REGIONS = {"westeurope": ("EU West", 1.00), "northeurope": ("EU North", 1.05),
           "eastus": ("US East", 0.90)}
RATES = {"USD": 1.0, "EUR": 0.92}
PAGE = 4


def items_for(region, currency):
    location, factor = REGIONS[region]
    rate = RATES.get(currency, 1.0)
    out = []

    def item(product, sku, meter, price, unit="1 GB/Month", type_="Consumption", tier=0.0,
             start="2024-11-01T00:00:00Z"):
        n = len(out)
        value = round(price * factor * rate, 6)
        out.append({"currencyCode": currency, "tierMinimumUnits": tier, "retailPrice": value,
                    "unitPrice": value, "armRegionName": region, "location": location,
                    "effectiveStartDate": start,
                    "meterId": "00000000-0000-4000-8000-%012d" % (n + 1000 * len(region)),
                    "meterName": meter, "productId": "DZH318Z0FAKE",
                    "skuId": "DZH318Z0FAKE/%04d" % n, "productName": product, "skuName": sku,
                    "serviceName": "SQL Database", "serviceId": "DZH313Z7MMC8",
                    "serviceFamily": "Databases", "unitOfMeasure": unit, "type": type_,
                    "isPrimaryMeterRegion": True, "armSkuName": ""})

    for red, pitr, ltr in (("LRS", 0.10, 0.025), ("ZRS", 0.125, 0.0313), ("RA-GRS", 0.20, 0.05),
                           ("RA-GZRS", 0.34, 0.085)):
        item("SQL Database Single/Elastic Pool PITR Backup Storage", "Backup " + red,
             red + " Data Stored", pitr)
        item("SQL Database LTR Backup Storage", "Backup " + red, red + " Data Stored", ltr)
    hs = (("LRS", 0.10), ("ZRS", 0.125), ("RA", 0.20))
    if region != "northeurope":
        hs += (("RA-GZRS", 0.34),)
    for red, price in hs:
        item("SQL Database Single/Elastic Pool Hyperscale - Storage", "Hyperscale",
             "Data Stored - Backup - " + red, price)
    # noise the client must skip
    item("SQL Database Single/Elastic Pool General Purpose - Compute Gen5", "vCore", "vCore", 0.25,
         unit="1 Hour")
    item("SQL Database Single/Elastic Pool PITR Backup Storage", "Backup LRS", "LRS Data Stored",
         0.01, type_="DevTestConsumption")
    item("SQL Database LTR Backup Storage", "Backup LRS", "LRS Data Stored", 0.001, tier=1000.0)
    # an older price of the same meter: the later start wins
    item("SQL Database Single/Elastic Pool PITR Backup Storage", "Backup LRS", "LRS Data Stored",
         0.99, start="2020-01-01T00:00:00Z")
    return out


class Handler(BaseHTTPRequestHandler):
    disable_nagle_algorithm = True  # as fakeazure.py: no delayed-ACK wait per answer
    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        srv = self.server
        with srv.lock:
            srv.requests += 1
            first = srv.requests == 1
        url = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(url.query)
        if srv.log:
            with open(srv.log, "a") as f:
                f.write(json.dumps({"path": url.path, "query": url.query}) + "\n")
        if url.path != "/api/retail/prices":
            return self.answer(404, {"Error": {"Code": "NotFound"}})
        if srv.mode == "throttle" and first:
            return self.answer(429, {"Error": {"Code": "TooManyRequests"}}, {"Retry-After": "1"})
        filt = q.get("$filter", [""])[0]
        currency = q.get("currencyCode", ["'USD'"])[0].strip("'")
        region = None
        for name in REGIONS:
            if "armRegionName eq '%s'" % name in filt:
                region = name
        items = items_for(region, currency) if region else []
        skip = int(q.get("$skip", ["0"])[0])
        page = items[skip:skip + PAGE]
        base = "http://127.0.0.1:%d/api/retail/prices" % srv.server_port
        keep = urllib.parse.urlencode({"currencyCode": "'%s'" % currency, "$filter": filt})
        nxt = None
        if skip + PAGE < len(items):
            nxt = "%s?%s&$skip=%d" % (base, keep, skip + PAGE)
            if srv.mode == "loop":
                nxt = "%s?%s&$skip=0" % (base, keep)
            if srv.mode == "foreign":
                nxt = "https://prices.example.invalid/api/retail/prices?$skip=%d" % (skip + PAGE)
        body = {"BillingCurrency": currency, "CustomerEntityId": "Default",
                "CustomerEntityType": "Retail", "Items": page, "NextPageLink": nxt,
                "Count": len(page)}
        if srv.mode == "badpage" and skip == PAGE:
            data = json.dumps(body).encode()[:40]
            return self.raw(200, data)
        self.answer(200, body)

    def answer(self, status, body, headers=None):
        self.raw(status, json.dumps(body).encode(), headers)

    def raw(self, status, data, headers=None):
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--mode", default="ok", choices=["ok", "throttle", "badpage", "loop", "foreign"])
    ap.add_argument("--log")
    ap.add_argument("--ttl", type=float, default=120)
    args = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.mode, srv.log, srv.requests, srv.lock = args.mode, args.log, 0, threading.Lock()
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_port))
    os.rename(tmp, args.port_file)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    ttl = threading.Timer(args.ttl, lambda: os._exit(0))
    ttl.daemon = True
    ttl.start()
    srv.serve_forever()


if __name__ == "__main__":
    main()
