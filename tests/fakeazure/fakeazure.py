#!/usr/bin/env python3
"""fakeazure.py - a small fake of Azure Resource Manager and Entra ID on
loopback, for tierledger's collector tests and demo.

It serves the official examples in ../shared/fixtures/azure/ (their
responses.200.body, with resource ids rewritten to the scenario's and every
nextLink rewritten to this server), a client-credentials token endpoint, IMDS,
and scripted scenarios of successive polls: step N of a scenario is what Azure
answers at poll N. Everything not in a fixture is built from the documented
shapes and is SYNTHETIC (marked so below): database lists of the scenarios are
the fixture ListVCoreDatabasesByServer item with other names/objectives, the
Activity Log database write events, error bodies, 429/500 answers.

Usage: fakeazure.py --fixtures DIR --scenario NAME --port-file F [--log F]
Control: POST /_fake/step?n=N selects the poll; POST
/_fake/graph-quota?n=N&window=S sets the Resource Graph quota; POST
/_fake/graph-fail?from=K answers every Resource Graph page from row K on
with 503 (K < 0: none; &short=1: with 200, no rows and no $skipToken, as if
the query ended there); GET
/_fake/stats gives counters. Binds 127.0.0.1 on a free port; exits on SIGTERM or after --ttl s.
"""
import argparse
import copy
import gzip
import json
import os
import signal
import socket
import struct
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SUB = "00000000-1111-2222-3333-444444444444"  # the SQL fixtures' subscription
RG = "sqlcrudtest-7398"  # ServerList.json
SRV_A, SRV_B = "sqlcrudtest-4645", "sqlcrudtest-6661"
TENANT = "72f988bf-0000-4000-8000-00000000fa4e"
CLIENT_ID = "5f0c1e55-0000-4000-8000-0000000c11e7"
SQL = "/providers/Microsoft.Sql/servers"


def server_path(name, sub=SUB, rg=RG):
    return f"/subscriptions/{sub}/resourceGroups/{rg}{SQL}/{name}"


class Fixtures:
    def __init__(self, root):
        self.root = root

    def body(self, rel):
        with open(os.path.join(self.root, rel), encoding="utf-8") as f:
            doc = json.load(f)
        return doc["responses"]["200"]["body"] if "responses" in doc else doc


# ---- synthetic builders (documented shapes, made-up values) ---------------

def database(fx, srv, name, objective, created, requested=None, status="Online",
             kind="v12.0,user,vcore", tier=None, pool=None, secondary=None, source=None,
             tags=None, max_size=34359738368, sku_name=None, extra=None):
    """A database item: the fixture's first ListVCoreDatabasesByServer item
    with the scenario's values (SYNTHETIC values, official shape)."""
    item = copy.deepcopy(fx.body("sql-databases/ListVCoreDatabasesByServer.json")["value"][0])
    item["id"] = f"{server_path(srv)}/databases/{name}"
    item["name"] = name
    item["kind"] = kind
    p = item["properties"]
    fam = objective.split("_")
    sku_name = sku_name or ("_".join(fam[:2]) if len(fam) >= 3 else objective)
    cap = int(fam[-1]) if len(fam) >= 3 and fam[-1].isdigit() else None
    tier = tier or {"GP": "GeneralPurpose", "BC": "BusinessCritical", "HS": "Hyperscale"}.get(
        fam[0], "Standard")
    item["sku"] = {"name": sku_name, "tier": tier}
    if cap:
        item["sku"]["capacity"] = cap
    p["currentSku"] = dict(item["sku"])
    p["currentServiceObjectiveName"] = objective
    p["requestedServiceObjectiveName"] = requested or objective
    p["status"] = status
    p["creationDate"] = created
    p["earliestRestoreDate"] = created
    p["databaseId"] = "6c764297-577b-470f-9af4-%012d" % (abs(hash((name, created))) % 10**12)
    p["maxSizeBytes"] = max_size
    if pool:
        p["elasticPoolId"] = f"{server_path(srv)}/elasticPools/{pool}"
    if secondary:
        p["secondaryType"] = secondary
    if source:
        p["sourceDatabaseId"] = f"{server_path(srv)}/databases/{source}"
    if tags is not None:
        item["tags"] = tags
    p.update(extra or {})
    return item


def operation(fx, srv, db, op_id, frm, to, state, start, eta=None, phase=None):
    """A database operation: the fixture's first item with the scenario's
    objectives, state and times (SYNTHETIC values, official shape)."""
    item = copy.deepcopy(fx.body("sql-database-operations/ListDatabaseOperations.json")["value"][0])
    item["name"] = op_id
    item["id"] = f"{server_path(srv)}/databases/{db}/operations/{op_id}"
    p = item["properties"]
    p["databaseName"] = db
    p["serverName"] = srv
    p["description"] = (f"'UpdateLogicalDatabase' on database '{db}', Source ServiceLevelObjective "
                        f"'SQLDB_{frm}', target ServiceLevelObjective 'SQLDB_{to}', target "
                        f"database MaxSize '32'GB")
    p["state"] = state
    p["startTime"] = start
    p["percentComplete"] = 100 if state == "Succeeded" else 40
    if eta:
        p["estimatedCompletionTime"] = eta
    else:
        p.pop("estimatedCompletionTime", None)
    if phase:
        p["operationPhaseDetails"] = {"phase": phase, "phaseInformation": {}}
    return item


def write_event(resource_id, caller, at, status="Started", correlation="c0ffee00",
                operation="Microsoft.Sql/servers/databases/write"):
    """SYNTHETIC: no official example of a Microsoft.Sql/servers/databases/write
    event exists (azure-api.md 8.4), nor of any MI one (azure-api-mi.md "Gaps");
    this follows EventData's documented shape."""
    return {
        "caller": caller,
        "correlationId": f"{correlation}-0000-4000-8000-000000000000",
        "eventDataId": f"{correlation}-{status}-{at}",
        "eventTimestamp": at,
        "submissionTimestamp": at,
        "operationName": {"value": operation, "localizedValue": operation},
        "status": {"value": status, "localizedValue": status},
        "resourceId": resource_id,
        "level": "Informational",
        "properties": {"statusCode": "Accepted"},
    }


def retention(fx, days):
    """The fixture's short-term retention policy with another retentionDays."""
    body = copy.deepcopy(fx.body("sql-backup-retention/GetShortTermRetentionPolicy.json"))
    body["properties"]["retentionDays"] = days
    return {"body": body}


# SYNTHETIC daily levels (bytes) per metric: (maximum, average). No official
# example covers a SQL database or the backup metrics (azure-api.md).
GIB = 1073741824
LEVELS = {
    "allocated_data_storage": (5 * GIB, 5 * GIB - 256 * 2**20),
    "base_blob_size_bytes": (10 * GIB, 10 * GIB),
    "full_backup_size_bytes": (30 * GIB, 28 * GIB),
    "diff_backup_size_bytes": (6 * GIB, 5 * GIB),
    "log_backup_size_bytes": (4 * GIB, 3 * GIB),
    "snapshot_backup_size_bytes": (12 * GIB, 11 * GIB),
    "storage_limit": (40 * GIB, 40 * GIB),
}


def parse_time(text):
    return time.mktime(time.strptime(text[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone


def metric_answer(fx, names, timespan, step, namespace="microsoft.sql/servers/databases"):
    """SYNTHETIC values in the shape of the official GetMetric.json: one
    P1D point per day of the timespan for each name asked. The log backup
    level grows 1 MiB per poll (late samples change recent days)."""
    body = copy.deepcopy(fx.body("monitor-metrics/GetMetric.json"))
    proto = body["value"][0]
    start, end = (parse_time(t) for t in timespan.split("/"))
    out = []
    for name in names.split(","):
        m = copy.deepcopy(proto)
        m["name"] = {"value": name, "localizedValue": name}
        m["id"] = m["id"].rsplit("/", 1)[0] + "/" + name
        m["unit"] = "Bytes"
        mx, avg = LEVELS.get(name, (GIB, GIB))
        if name == "log_backup_size_bytes":
            mx, avg = mx + step * 2**20, avg + step * 2**20
        data = []
        t = start
        while t < end:
            data.append({"timeStamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t)),
                         "average": float(avg), "maximum": float(mx)})
            t += 86400
        m["timeseries"] = [{"metadatavalues": [], "data": data}]
        out.append(m)
    body["value"] = out
    body["interval"] = "P1D"
    body["timespan"] = timespan
    body["namespace"] = namespace
    return body


def arm_error(code, message):
    """SYNTHETIC: the common-types ErrorResponse shape (no official example)."""
    return {"error": {"code": code, "message": message}}


# ---- scenarios ---------------------------------------------------------------

def routes_common(fx):
    """Discovery that every scenario shares: the subscription list (fixture
    page with its nextLink, then a SYNTHETIC second page holding the SQL
    fixtures' subscription) and the server list fixture."""
    subs_page2 = {"value": [{
        "id": f"/subscriptions/{SUB}", "subscriptionId": SUB, "displayName": "SQL fleet",
        "state": "Enabled", "tenantId": TENANT}]}
    return {
        "/subscriptions": {"pages": [{"fixture": "arm-subscriptions/GetSubscriptions.json"},
                                     {"body": subs_page2}]},
        f"/subscriptions/{SUB}{SQL}": {"fixture": "sql-servers/ServerList.json"},
    }


def db_list(fx, srv, dbs, split=None):
    if split is None:
        return {"body": {"value": dbs}}
    return {"pages": [{"body": {"value": dbs[:split]}}, {"body": {"value": dbs[split:]}}]}


def lifecycle(fx):
    """salesdb on SRV_A: GP -> HS seen in progress, completed between polls,
    a reverse migration started then cancelled, a change whose operation was
    never seen, a drop (404 + restorable dropped), a re-creation. SRV_A's
    list is the fixture page (testdb, master) plus a SYNTHETIC second page."""
    fixture_dbs = [d for d in copy.deepcopy(
        fx.body("sql-databases/ListVCoreDatabasesByServer.json")["value"])]
    for d in fixture_dbs:
        d["id"] = d["id"].replace("Default-SQL-SouthEastAsia", RG).replace(
            "/servers/testsvr/", f"/servers/{SRV_A}/")
    created = "2026-09-01T00:00:00Z"
    inventory = database(fx, SRV_B, "inventory", "S0", "2026-08-01T00:00:00Z", kind="v12.0,user",
                         tier="Standard", tags={"cost-center": "retail"})
    a_ops = f"{server_path(SRV_A)}/databases/salesdb/operations"
    a_db = f"{server_path(SRV_A)}/databases/salesdb"
    op1 = "0f5e0c1a-1111-4000-8000-000000000001"
    op2 = "0f5e0c1a-2222-4000-8000-000000000002"
    ev = {"value": [write_event(a_db, "dba@contoso.com", "2026-10-01T09:29:58Z"),
                    write_event(a_db, "ops-automation@contoso.com", "2026-10-20T06:59:40Z",
                                correlation="c0ffee02")]}
    log = f"/subscriptions/{SUB}/providers/Microsoft.Insights/eventtypes/management/values"

    def step(sales, ops, extra=None, drop=None):
        dbs = fixture_dbs + ([sales] if sales else [])
        r = routes_common(fx)
        r[f"{server_path(SRV_A)}/databases"] = db_list(fx, SRV_A, dbs, split=len(fixture_dbs))
        r[f"{server_path(SRV_B)}/databases"] = db_list(fx, SRV_B, [inventory])
        r[a_ops] = {"body": {"value": ops}}
        r[log] = {"body": ev}
        r[f"{a_db}/backupShortTermRetentionPolicies/default"] = retention(fx, 35)
        if sales is None:
            r[a_db] = {"status": 404, "body": arm_error(
                "ResourceNotFound", "The requested resource of type "
                "'Microsoft.Sql/servers/databases' with name 'salesdb' was not found.")}
        if drop:
            body = fx.body("sql-restorable-dropped/ListRestorableDroppedDatabasesByServer.json")
            body = copy.deepcopy(body)
            it = body["value"][0]
            it["id"] = f"{server_path(SRV_A)}/restorableDroppedDatabases/salesdb,{drop[1]}"
            it["name"] = f"salesdb,{drop[1]}"
            it["properties"]["databaseName"] = "salesdb"
            it["properties"]["creationDate"] = created
            it["properties"]["deletionDate"] = drop[0]
            r[f"{server_path(SRV_A)}/restorableDroppedDatabases"] = {"body": body}
        if extra:
            r.update(extra)
        return r

    gp, hs, hs4 = "GP_Gen5_2", "HS_Gen5_2", "HS_Gen5_4"
    return [
        # 0 (2026-10-01T10:00Z): conversion in progress
        step(database(fx, SRV_A, "salesdb", gp, created, requested=hs,
                      tags={"cost-center": "sales"}),
             [operation(fx, SRV_A, "salesdb", op1, gp, hs, "InProgress", "2026-10-01T09:30:00Z",
                        phase="Copying")]),
        # 1 (2026-10-01T12:00Z): it completed between polls
        step(database(fx, SRV_A, "salesdb", hs, created, kind="v12.0,user,vcore,hyperscale",
                      tags={"cost-center": "sales"}, max_size=-1),
             [operation(fx, SRV_A, "salesdb", op1, gp, hs, "Succeeded", "2026-10-01T09:30:00Z",
                        eta="2026-10-01T11:10:00Z")]),
        # 2 (2026-10-20T08:00Z): a reverse migration starts
        step(database(fx, SRV_A, "salesdb", hs, created, requested=gp, status="Online",
                      kind="v12.0,user,vcore,hyperscale", tags={"cost-center": "sales"},
                      max_size=-1),
             [operation(fx, SRV_A, "salesdb", op2, hs, gp, "InProgress", "2026-10-20T07:00:00Z",
                        phase="Copying")]),
        # 3 (2026-10-20T09:00Z): ... and is cancelled
        step(database(fx, SRV_A, "salesdb", hs, created, kind="v12.0,user,vcore,hyperscale",
                      tags={"cost-center": "sales"}, max_size=-1),
             [operation(fx, SRV_A, "salesdb", op2, hs, gp, "Cancelled", "2026-10-20T07:00:00Z",
                        eta="2026-10-20T08:30:00Z")]),
        # 4 (2026-10-25T00:00Z): scaled up; the operation was never seen
        step(database(fx, SRV_A, "salesdb", hs4, created, kind="v12.0,user,vcore,hyperscale",
                      tags={"cost-center": "sales"}, max_size=-1), []),
        # 5 (2026-11-01T00:00Z): dropped
        step(None, [], drop=("2026-10-30T12:00:00Z", "134063856000000000")),
        # 6 (2026-11-02T00:00Z): created again with the same name
        step(database(fx, SRV_A, "salesdb", gp, "2026-11-01T06:00:00Z",
                      tags={"cost-center": "sales"}), [],
             drop=("2026-10-30T12:00:00Z", "134063856000000000")),
    ]


def faults(fx):
    """Step 0: SRV_A's list answers 429 (Retry-After 1) twice, SRV_B's 500
    once; both then answer; orders does not define diff_backup_size_bytes
    (its metrics call answers 400); billing is in a General Purpose elastic
    pool; reports is serverless. Step 1: SRV_B answers 500 forever. Step 2:
    SRV_B's list is cut off mid-body. Step 3: SRV_B's item has a number where
    a date belongs. Steps 4 and 5: SRV_B's nextLink loops. Step 6: SRV_B's
    list is slow. Step 7: Resource Graph's $skipToken loops. Steps 8-14: SRV_B's
    list fails in one more way each (see below). All error bodies are SYNTHETIC."""
    inventory = database(fx, SRV_B, "inventory", "S0", "2026-08-01T00:00:00Z", kind="v12.0,user",
                         tier="Standard")
    orders = database(fx, SRV_A, "orders", "BC_Gen5_4", "2026-07-01T00:00:00Z")
    pooled = database(fx, SRV_A, "billing", "GP_Gen5_2", "2026-07-01T00:00:00Z", pool="gp-pool")
    # SYNTHETIC serverless (no official example, azure-api.md 8.2): sku GP_S_Gen5,
    # kind "...,serverless", autoPauseDelay and minCapacity
    serverless = database(fx, SRV_A, "reports", "GP_S_Gen5_2", "2026-07-01T00:00:00Z",
                          kind="v12.0,user,vcore,serverless", sku_name="GP_S_Gen5",
                          extra={"autoPauseDelay": 60, "minCapacity": 0.5})
    a_list = f"{server_path(SRV_A)}/databases"
    b_list = f"{server_path(SRV_B)}/databases"
    throttle = {"status": 429, "headers": {"Retry-After": "1"},
                "body": arm_error("SubscriptionTooManyRequests", "Too many requests.")}
    boom = {"status": 500, "body": arm_error("InternalServerError", "Something went wrong.")}

    def base():
        r = routes_common(fx)
        r[a_list] = db_list(fx, SRV_A, [orders, pooled, serverless])
        r[b_list] = db_list(fx, SRV_B, [inventory])
        # SYNTHETIC: orders lacks one metric (a 400 for the whole call)
        r["_undefined_metric"] = {
            f"{server_path(SRV_A)}/databases/orders/providers/microsoft.insights/metrics".lower():
            "diff_backup_size_bytes"}
        return r

    s0 = base()
    s0[a_list] = {"first": [throttle, throttle], "then": s0[a_list]}
    s0[b_list] = {"first": [boom], "then": s0[b_list]}
    s1 = base()
    s1[b_list] = boom
    s2 = base()
    s2[b_list] = {"raw": json.dumps({"value": [inventory]})[:200]}
    s3 = base()
    bad = copy.deepcopy(inventory)
    bad["properties"]["creationDate"] = 20260801
    s3[b_list] = {"body": {"value": [bad]}}
    # SYNTHETIC: a nextLink back to the page itself (Step 4), and a cycle
    # of two pages, the second linking back to the first (Step 5)
    arm = "https://management.azure.com"
    s4 = base()
    s4[b_list] = {"body": {"value": [inventory],
                           "nextLink": f"{arm}{b_list}?api-version=2025-01-01"}}
    s5 = base()
    first = f"{arm}{b_list}?api-version=2025-01-01"
    s5[b_list] = {"first": [{"body": {"value": [inventory], "nextLink": first + "&$skiptoken=2"}}],
                  "then": {"body": {"value": [], "nextLink": first}}}
    # SYNTHETIC: SRV_B's list answers only after 20 s (Step 6)
    s6 = base()
    s6[b_list] = dict(s6[b_list], delay=20)
    # SYNTHETIC: Resource Graph answers every page with the same $skipToken (Step 7)
    s7 = base()
    s7["_graph"] = {"body": {"totalRecords": 9, "count": 0, "data": [], "facets": [],
                             "resultTruncated": "false", "$skipToken": "00000002"}}
    # SYNTHETIC faults of SRV_B's list, one per step: 503 forever (8), the
    # connection reset (9), a trickle of one byte every 0.5 s (10), invalid
    # JSON that is not merely cut (11), the wrong shape (12), a nextLink to
    # another host (13), a 70 MB body (14)
    unavailable = {"status": 503, "body": arm_error("ServiceUnavailable", "The service is unavailable.")}
    faults_b = [unavailable, {"reset": True}, {"trickle": 0.5, "body": {"value": [inventory]}},
                {"raw": '{"value": [{"id": nope, "name": "inventory"}]}'},
                {"body": {"value": {"id": "not-an-array"}}},
                {"body": {"value": [inventory],
                          "nextLink": f"https://evil.example.com{b_list}?api-version=2025-01-01&$skiptoken=2"}},
                {"huge": 70 * 1024 * 1024}]
    more = []
    for fault in faults_b:
        st = base()
        st[b_list] = fault
        more.append(st)
    return [s0, s1, s2, s3, s4, s5, s6, s7] + more


def conflict(fx):
    """SYNTHETIC: Azure describing one database inconsistently: 20 listed
    operations none of which starts from the objective the one before ended
    on (more gaps than bridges may fill, D6). The same server lists a
    healthy database, which must still be recorded."""
    ops = []
    for k in range(20):
        start = "2026-09-02T%02d:00:00Z" % k
        end = "2026-09-02T%02d:30:00Z" % k
        ops.append(operation(fx, SRV_A, "clash", "0f5e0c1a-3333-4000-8000-%012d" % k,
                             f"BC_Gen5_{k + 2}", f"GP_Gen5_{k + 2}", "Succeeded", start, eta=end))
    clash = database(fx, SRV_A, "clash", "GP_Gen5_21", "2026-09-01T00:00:00Z")
    calm = database(fx, SRV_A, "calm", "GP_Gen5_2", "2026-09-01T00:00:00Z")
    r = routes_common(fx)
    r[f"{server_path(SRV_A)}/databases"] = db_list(fx, SRV_A, [clash, calm])
    r[f"{server_path(SRV_A)}/databases/clash/operations"] = {"body": {"value": ops}}
    return [r]


def fleet(fx, servers, per_server):
    """SYNTHETIC load for bench/bench_collect.sh: `servers` servers of
    `per_server` General Purpose databases each, lists paged by 1000, in
    the fixture subscription; operations, retention, links and metrics
    come from the defaults."""
    proto = fx.body("sql-servers/ServerList.json")["value"][0]
    srv_items, r = [], routes_common(fx)
    for k in range(servers):
        name = f"fleet-srv-{k:04d}"
        item = copy.deepcopy(proto)
        item["id"], item["name"] = server_path(name), name
        srv_items.append(item)
        dbs = [database(fx, name, f"db-{j:05d}", "GP_Gen5_2", "2026-01-01T00:00:00Z",
                        tags={"cost-center": f"cc-{j % 7}"}) for j in range(per_server)]
        pages = [{"body": {"value": dbs[i:i + 1000]}} for i in range(0, len(dbs), 1000)] or \
            [{"body": {"value": []}}]
        r[f"{server_path(name)}/databases"] = {"pages": pages}
    r[f"/subscriptions/{SUB}{SQL}"] = {"body": {"value": srv_items}}
    return [r]


def demo(fx):
    """The demo's Azure: the lifecycle's first two polls on a richer server."""
    steps = lifecycle(fx)
    return steps


MI_RG = "Test1"  # ManagedInstanceList.json
MIS = "/providers/Microsoft.Sql/managedInstances"
MI_A, MI_B = "testinstance1", "testinstance2"


def mi_path(name, sub=SUB, rg=MI_RG):
    return f"/subscriptions/{sub}/resourceGroups/{rg}{MIS}/{name}"


def mi_database(fx, mi, name, created, status="Online", earliest=None):
    """A managed database: the fixture's first list item with the
    scenario's values (SYNTHETIC values, official shape)."""
    d = copy.deepcopy(fx.body(
        "sql-managed-instances/databases/ManagedDatabaseListByManagedInstance.json")["value"][0])
    d["id"], d["name"] = f"{mi_path(mi)}/databases/{name}", name
    d["properties"]["creationDate"] = created
    d["properties"]["status"] = status
    if earliest:
        d["properties"]["earliestRestorePoint"] = earliest
    return d


def managed_instances(fx):
    """The instances of ManagedInstanceList.json by name (already in the SQL
    fixtures' subscription and resource group Test1)."""
    body = copy.deepcopy(fx.body("sql-managed-instances/instances/ManagedInstanceList.json"))
    return {i["name"]: i for i in body["value"]}


def mi(fx):
    """Managed Instance (the issue's scenario), polls at the instants
    tests/cli/test_collect_mi.sh passes as --observed-at: on MI_A an LRS
    migration of salesdb polled from start through cutover, its first restore
    point and a retention change; an instance tier change GP -> BC (a
    Succeeded operation gives the instant); legacy dropped, then its
    restorable dropped entry gone before its retention ended (retention set
    to 0); hr moved from MI_B to MI_A (started, ready, completed); MI_B
    deleted (missing from the list, 404 itself). The instance, database and
    move items are the fixtures' with SYNTHETIC values; the move list also
    carries the fixture's own entries (other instances: ignored)."""
    insts = managed_instances(fx)
    sales = f"{mi_path(MI_A)}/databases/salesdb"
    legacy_created, sales_created = "2026-01-05T08:00:00Z", "2026-10-01T09:00:00Z"
    drop_ticks = "134063856000000000"

    def instance(name, tier=None, redundancy=None):
        it = copy.deepcopy(insts[name])
        if tier:
            it["sku"]["tier"], it["sku"]["name"] = tier, "BC_Gen5"
        if redundancy:  # SYNTHETIC: the backup storage redundancy changed
            it["properties"]["currentBackupStorageRedundancy"] = redundancy
            it["properties"]["requestedBackupStorageRedundancy"] = redundancy
        return it

    def op_changed():
        # SYNTHETIC: the Get example, Succeeded, asking BC 8 vCores 1024 GB
        o = copy.deepcopy(fx.body("sql-managed-instances/operations/GetManagedInstanceOperation.json"))
        o["id"] = f"{mi_path(MI_A)}/operations/{o['name']}"
        p = o["properties"]
        p["state"], p["startTime"] = "Succeeded", "2026-10-29T09:00:00Z"
        p["operationParameters"] = {
            "currentParameters": {"family": "Gen5", "tier": "GeneralPurpose", "vCores": 8,
                                  "storageSizeInGB": 1024},
            "requestedParameters": {"family": "Gen5", "tier": "BusinessCritical", "vCores": 8,
                                    "storageSizeInGB": 1024}}
        for k, st in enumerate(p["operationSteps"]["stepsList"]):
            st["status"] = "Completed"
            st["stepStartTime"] = f"2026-10-29T{9 + k // 3:02d}:{(k % 3) * 20:02d}:00Z"
            st["stepEndTime"] = f"2026-10-29T{9 + (k + 1) // 3:02d}:{((k + 1) % 3) * 20:02d}:00Z"
        return o

    def dropped_legacy():
        body = copy.deepcopy(fx.body("sql-managed-instances/restorable-dropped/"
                                     "RestorableDroppedManagedDatabaseListByManagedInstance.json"))
        it = body["value"][0]
        it["name"] = f"legacy,{drop_ticks}"
        it["id"] = f"{mi_path(MI_A)}/restorableDroppedDatabases/legacy,{drop_ticks}"
        it["properties"].update(databaseName="legacy", creationDate=legacy_created,
                                deletionDate="2026-10-29T08:00:00Z")
        return {"body": {"value": [it]}}

    mi_ops = "Microsoft.Sql/managedInstances"
    # SYNTHETIC: a point-in-time restore of legacy, its PUT's body in the event (the shape of
    # properties.requestbody is not in an official example: azure-api-mi.md "Gaps")
    restore_event = write_event(f"{mi_path(MI_A)}/databases/legacy_restored", "dba@contoso.com",
                                "2026-10-20T08:00:01Z", "Accepted", "c0ffee15",
                                f"{mi_ops}/databases/write")
    restore_event["properties"]["requestbody"] = json.dumps({
        "location": insts[MI_A]["location"],
        "properties": {"createMode": "PointInTimeRestore",
                       "sourceDatabaseId": f"{mi_path(MI_A)}/databases/legacy",
                       "restorePointInTime": "2026-10-19T12:00:00Z"}})
    log = [  # (event time, the poll from which it is served, the event)
        ("2026-10-01T08:30:00Z", write_event(mi_path(MI_A), "dba@contoso.com",
                                             "2026-10-01T08:30:00Z", "Succeeded", "c0ffee10",
                                             f"{mi_ops}/tdeCertificates/action")),
        ("2026-10-01T09:00:02Z", write_event(sales, "dba@contoso.com", "2026-10-01T09:00:02Z",
                                             "Accepted", "c0ffee11", f"{mi_ops}/databases/write")),
        ("2026-10-20T08:00:01Z", restore_event),
        ("2026-10-27T16:05:00Z", write_event(sales, "dba@contoso.com", "2026-10-27T16:05:00Z",
                                             "Succeeded", "c0ffee12",
                                             f"{mi_ops}/databases/completeRestore/action")),
        ("2026-10-29T09:00:00Z", write_event(mi_path(MI_A), "ops@contoso.com",
                                             "2026-10-29T09:00:00Z", "Accepted", "c0ffee13",
                                             f"{mi_ops}/write")),
        ("2026-10-30T07:30:00Z", write_event(mi_path(MI_B), "ops@contoso.com",
                                             "2026-10-30T07:30:00Z", "Succeeded", "c0ffee14",
                                             f"{mi_ops}/delete")),
    ]
    poll_at = ["2026-10-01T10:00:00Z", "2026-10-01T11:00:00Z", "2026-10-27T10:00:00Z",
               "2026-10-28T10:00:00Z", "2026-10-28T12:00:00Z", "2026-10-29T12:00:00Z",
               "2026-10-30T12:00:00Z", "2026-10-30T13:00:00Z"]
    log_path = f"/subscriptions/{SUB}/providers/Microsoft.Insights/eventtypes/management/values"

    move_fx = "sql-managed-instances/migration/ManagedDatabaseMoveOperationResultList.json"

    def move(op, state, start):
        it = copy.deepcopy(fx.body(move_fx)["value"][0])
        it["name"] = f"0c0ffee0-0000-4000-8000-00000000000{1 if op.startswith('Start') else 2}"
        p = it["properties"]
        p.update(operation=op, state=state, startTime=start, sourceDatabaseName="hr",
                 targetDatabaseName="hr", sourceManagedInstanceName=MI_B,
                 targetManagedInstanceName=MI_A,
                 sourceManagedInstanceId=mi_path(MI_B).lstrip("/"),
                 targetManagedInstanceId=mi_path(MI_A).lstrip("/"))
        return it

    def moves(k):
        items = copy.deepcopy(fx.body(move_fx)["value"])
        if k >= 1:
            items.append(move("StartManagedInstanceDatabaseMove",
                              "InProgress" if k == 1 else "Succeeded", "2026-10-01T10:30:00Z"))
        if k >= 3:
            items.append(move("ContinueManagedInstanceDatabaseMove", "Succeeded",
                              "2026-10-28T09:00:00Z"))
        return {"body": {"value": items}}

    ltr_fx = "sql-managed-instances/backup-retention/ManagedInstanceLongTermRetentionBackupListByInstance.json"

    def ltr_backups(k):
        # the example's backups (of databases this instance does not have) and, SYNTHETIC,
        # weekly ones of salesdb from poll 5 on; the first is deleted before poll 7
        body = copy.deepcopy(fx.body(ltr_fx))
        loc = insts[MI_A]["location"]
        for when, name in (("2026-10-29T03:00:00Z", "aaaaaaaa-0000-4000-8000-000000000001;"
                            "134062380000000000;Hot"),
                           ("2026-10-30T03:00:00Z", "aaaaaaaa-0000-4000-8000-000000000002;"
                            "134063244000000000;Hot")):
            if (when < "2026-10-30" and 5 <= k < 7) or (when >= "2026-10-30" and k >= 6):
                it = copy.deepcopy(body["value"][1])
                it["name"] = name
                it["id"] = (f"/subscriptions/{SUB}/providers/Microsoft.Sql/locations/{loc}/"
                            f"longTermRetentionManagedInstances/{MI_A}/longTermRetentionDatabases/"
                            f"salesdb/longTermRetentionManagedInstanceBackups/{name}")
                it["properties"].update(backupTime=when, databaseName="salesdb",
                                        managedInstanceName=MI_A)
                body["value"].append(it)
        return {"body": body}

    def step(k):
        r = routes_common(fx)
        r[f"/subscriptions/{SUB}/providers/Microsoft.Sql/locations/{insts[MI_A]['location']}/"
          f"longTermRetentionManagedInstances/{MI_A}/longTermRetentionManagedInstanceBackups"] = \
            ltr_backups(k)
        r[f"/subscriptions/{SUB}/resourceGroups/{MI_RG}/providers/Microsoft.Sql/locations/"
          f"{insts[MI_A]['location']}/managedDatabaseMoveOperationResults"] = moves(k)
        r[f"/subscriptions/{SUB}{SQL}"] = {"body": {"value": []}}
        r[log_path] = {"body": {"value": [e for t, e in log if t <= poll_at[k]]}}
        listed = [instance(MI_A, "BusinessCritical" if k >= 5 else None,
                           "Zone" if k >= 6 else None)]
        if k < 6:
            listed.append(instance(MI_B))
        r[f"/subscriptions/{SUB}{MIS}"] = {"body": {"value": listed}}
        status = "Restoring" if k < 3 else "Online"
        dbs = [mi_database(fx, MI_A, "salesdb", sales_created, status,
                           "2026-10-28T09:40:00Z" if k >= 4 else None)]
        if k < 5:
            dbs.append(mi_database(fx, MI_A, "legacy", legacy_created))
        if k >= 2:
            dbs.append(mi_database(fx, MI_A, "legacy_restored", "2026-10-20T08:00:00Z"))
        r[f"{mi_path(MI_A)}/databases"] = {"body": {"value": dbs}}
        b_dbs = [mi_database(fx, MI_B, "reports", "2025-06-01T00:00:00Z")]
        if k < 3:
            b_dbs.append(mi_database(fx, MI_B, "hr", "2025-03-01T00:00:00Z"))
        else:
            dbs.append(mi_database(fx, MI_A, "hr", "2026-10-28T09:30:00Z"))
        r[f"{mi_path(MI_B)}/databases"] = {"body": {"value": b_dbs}}
        r[f"{mi_path(MI_A)}/operations"] = {"body": {"value": [op_changed()]}} if k == 5 else \
            {"fixture": "sql-managed-instances/operations/ListManagedInstanceOperations.json"}
        r[f"{mi_path(MI_A)}/distributedAvailabilityGroups"] = {
            "fixture": "sql-managed-instances/migration/DistributedAvailabilityGroupsListByInstance.json"}
        r[f"{mi_path(MI_A)}/restorableDroppedDatabases"] = dropped_legacy() if k == 5 else \
            {"body": {"value": []}}
        if k == 5:  # SYNTHETIC (no example of MI-A8): the dropped database's policy lowered 14 -> 3
            pol = copy.deepcopy(fx.body(
                "sql-managed-instances/backup-retention/GetManagedShortTermRetentionPolicy.json"))
            pol["properties"]["retentionDays"] = 3
            r[f"{mi_path(MI_A)}/restorableDroppedDatabases/legacy,{drop_ticks}/"
              "backupShortTermRetentionPolicies"] = {"body": {"value": [pol]}}
        if k < 3:
            r[f"{sales}/restoreDetails/Default"] = {
                "fixture": "sql-managed-instances/migration/ManagedDatabaseRestoreDetails.json"}
        retention = "sql-managed-instances/backup-retention/GetManagedShortTermRetentionPolicy.json"
        r[f"{sales}/backupShortTermRetentionPolicies/default"] = {"fixture": retention} if k >= 4 \
            else {"body": {"properties": {"retentionDays": 7}}}
        r[f"{mi_path(MI_A)}/databases/legacy/backupShortTermRetentionPolicies/default"] = \
            {"fixture": retention}
        if k == 1:  # a policy read that fails: a warning, nothing recorded or lost
            r[f"{mi_path(MI_A)}/databases/legacy/backupLongTermRetentionPolicies"] = {
                "status": 404, "body": arm_error("ResourceNotFound", "no such policy")}
        if k >= 4:  # an LTR policy set between polls 3 and 4 (the example: P1M, P1Y, P5Y, week 5)
            r[f"{sales}/backupLongTermRetentionPolicies"] = {"fixture": "sql-managed-instances/"
                "backup-retention/ManagedInstanceLongTermRetentionPolicyListByDatabase.json"}
        if k >= 6:
            r[mi_path(MI_B)] = {"status": 404, "body": arm_error(
                "ResourceNotFound", "The requested resource of type "
                "'Microsoft.Sql/managedInstances' with name 'testinstance2' was not found.")}
        return r

    return [step(k) for k in range(8)]


SCENARIOS = {"lifecycle": lifecycle, "faults": faults, "conflict": conflict, "demo": demo,
             "mi": mi}


# ---- the server ----------------------------------------------------------------

class State:
    def __init__(self, fx, steps, args):
        self.fx = fx
        self.steps = steps
        self.step = 0
        self.lock = threading.Lock()
        self.served = {}  # (step, path) -> times served, for "first"
        self.tokens = {}  # token -> uses
        self.issued = 0
        self.args = args
        self.log = open(args.log, "a", encoding="utf-8") if args.log else None
        self.stats = {"requests": 0, "tokens": 0, "gzip": 0, "unauthorized": 0}
        self.quota_window, self.quota_used = 0.0, 0
        self.quota, self.quota_span = 15, 5.0  # Resource Graph: queries per window (s)
        self.graph_page = args.graph_page or (1000 if args.scenario == "fleet" else 2)
        self.graph_fail_from = -1  # SYNTHETIC: pages from this row on answer 503
        self.graph_fail_short = False  # ...or end the query there, short of its totalRecords


def rewrite_links(obj, base):
    """Point every nextLink on the ARM host at this server, keeping path and
    query; a link to another host stays as it is (a fault to refuse)."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == "nextLink" and isinstance(v, str) and v and \
                    urllib.parse.urlsplit(v).hostname in ("management.azure.com", None):
                u = urllib.parse.urlsplit(v)
                obj[k] = base + (u.path if u.path not in ("", "/") else "") + (
                    "?" + u.query if u.query else "")
            else:
                rewrite_links(v, base)
    elif isinstance(obj, list):
        for v in obj:
            rewrite_links(v, base)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # TCP_NODELAY: the headers and the body go out in two writes; with Nagle
    # the body waited for the client's delayed ACK of the headers, about 40 ms
    # an answer on keep-alive connections, which the collector bench measured
    # as if it were the collector's (a first run at 2.0x its bound)
    disable_nagle_algorithm = True
    server_version = "fakeazure/1"

    def log_message(self, fmt, *a):  # quiet; the request log is separate
        pass

    def send_json(self, status, body, headers=None, raw=None):
        data = raw.encode() if raw is not None else json.dumps(body).encode()
        st = self.server.state
        enc = "gzip" in (self.headers.get("Accept-Encoding") or "")
        if enc:
            data = gzip.compress(data)
            st.stats["gzip"] += 1
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        if enc:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("x-ms-ratelimit-remaining-subscription-reads", "11999")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def base(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def record(self, status, extra=None):
        st = self.server.state
        if st.log:
            u = urllib.parse.urlsplit(self.path)
            st.log.write(json.dumps({
                "step": st.step, "method": self.command, "path": u.path, "query": u.query,
                "status": status, "auth": bool(self.headers.get("Authorization")),
                "gzip": "gzip" in (self.headers.get("Accept-Encoding") or ""),
                "agent": self.headers.get("User-Agent", ""), **(extra or {}),
                "t": round(time.time(), 3)}) + "\n")
            st.log.flush()

    # -- identity ------------------------------------------------------------
    def issue(self):
        st = self.server.state
        with st.lock:
            st.issued += 1
            tok = f"fake-access-token-{st.issued:04d}-{os.urandom(6).hex()}"
            st.tokens[tok] = 0
            st.stats["tokens"] += 1
        return tok

    def token_endpoint(self, body):
        form = urllib.parse.parse_qs(body.decode())
        want = os.environ.get("FAKEAZURE_CLIENT_SECRET")
        ok = (form.get("client_id") == [CLIENT_ID] and form.get("grant_type") ==
              ["client_credentials"] and form.get("scope", [""])[0].endswith("/.default") and
              (form.get("client_secret") == [want] or "client_assertion" in form))
        if not ok:
            self.record(400)
            return self.send_json(400, self.server.state.fx.body(
                "identity/client-credentials-token-error.json"))
        doc = dict(self.server.state.fx.body("identity/client-credentials-token-success.json"))
        doc["access_token"] = self.issue()
        doc["expires_in"] = self.server.state.args.token_lifetime
        if self.server.state.args.token_without_access_token:
            del doc["access_token"]  # SYNTHETIC: a malformed success answer
        self.record(200)
        return self.send_json(200, doc)

    def imds(self, query):
        if self.headers.get("Metadata") != "true":
            self.record(400)
            return self.send_json(400, {"error": "invalid_request",
                                        "error_description": "Required metadata header not specified"})
        doc = dict(self.server.state.fx.body("identity/imds-managed-identity-token-success.json"))
        doc["access_token"] = self.issue()
        life = self.server.state.args.token_lifetime
        doc["expires_in"] = str(life)
        doc["expires_on"] = str(int(time.time()) + life)
        doc["resource"] = query.get("resource", [""])[0]
        self.record(200)
        return self.send_json(200, doc)

    # -- ARM -----------------------------------------------------------------
    def authorised(self):
        st = self.server.state
        if st.args.no_auth:
            return True
        h = self.headers.get("Authorization") or ""
        tok = h[7:] if h.startswith("Bearer ") else None
        with st.lock:
            if tok not in st.tokens:
                return False
            st.tokens[tok] += 1
            # the first token "expires" after --expire-after uses
            if st.args.expire_after and tok.startswith("fake-access-token-0001-") and \
                    st.tokens[tok] > st.args.expire_after:
                return False
        return True

    def serve(self, spec, key):
        st = self.server.state
        if "delay" in spec:  # a server that takes its time (bounded: tests stay short)
            time.sleep(min(float(spec["delay"]), 30.0))
        if "first" in spec:
            with st.lock:
                n = st.served.get(key, 0)
                st.served[key] = n + 1
            if n < len(spec["first"]):
                return self.serve(spec["first"][n], None)
            return self.serve(spec["then"], None)
        if "pages" in spec:
            q = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
            page = int(q.get("$skipToken", ["0"])[0] or 0)
            pages = spec["pages"]
            sub = dict(pages[page])
            body = self.body_of(sub)
            if page + 1 < len(pages):
                u = urllib.parse.urlsplit(self.path)
                qs = [(k, v) for k, v in urllib.parse.parse_qsl(u.query) if k != "$skipToken"]
                qs.append(("$skipToken", str(page + 1)))
                body["nextLink"] = "https://management.azure.com" + u.path + "?" + \
                    urllib.parse.urlencode(qs)
            else:
                body.pop("nextLink", None)
            rewrite_links(body, self.base())
            self.record(200)
            return self.send_json(200, body)
        if spec.get("reset"):  # the connection is cut without an answer (TCP RST)
            self.record(0, {"fault": "reset"})
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return None
        if "trickle" in spec:  # headers, then one byte every `trickle` s (30 s at most)
            self.record(200, {"fault": "trickle"})
            data = json.dumps(self.body_of(spec)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            end = time.time() + 30
            try:
                for i in range(len(data)):
                    if time.time() > end:
                        break
                    self.wfile.write(data[i:i + 1])
                    self.wfile.flush()
                    time.sleep(float(spec["trickle"]))
            except OSError:
                pass  # the client gave up: what it should do
            self.close_connection = True
            return None
        if "huge" in spec:  # a JSON page of `huge` bytes, sent until the client stops reading
            self.record(200, {"fault": "huge"})
            size = int(spec["huge"])
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(size))
            self.end_headers()
            head, tail = b'{"value": [], "padding": "', b'"}'
            chunk = b"x" * 65536
            try:
                self.wfile.write(head)
                left = size - len(head) - len(tail)
                while left > 0:
                    self.wfile.write(chunk[:min(left, len(chunk))])
                    left -= len(chunk)
                self.wfile.write(tail)
            except OSError:
                pass
            self.close_connection = True
            return None
        status = spec.get("status", 200)
        self.record(status)
        if "raw" in spec:
            return self.send_json(status, None, spec.get("headers"), raw=spec["raw"])
        body = self.body_of(spec)
        rewrite_links(body, self.base())
        return self.send_json(status, body, spec.get("headers"))

    def body_of(self, spec):
        if "fixture" in spec:
            return copy.deepcopy(self.server.state.fx.body(spec["fixture"]))
        return copy.deepcopy(spec.get("body", {}))

    def arm(self):
        st = self.server.state
        u = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(u.query)
        st.stats["requests"] += 1
        if not self.authorised():
            st.stats["unauthorized"] += 1
            self.record(401)
            return self.send_json(401, arm_error(
                "ExpiredAuthenticationToken",
                "The access token expiry UTC time is earlier than current UTC time."))
        if "api-version" not in q:
            self.record(400)
            return self.send_json(400, arm_error("MissingApiVersionParameter",
                                                 "The api-version query parameter is required."))
        routes = st.steps[min(st.step, len(st.steps) - 1)]
        path = u.path.rstrip("/")
        spec = routes.get(path)
        if spec is None:
            for k, v in routes.items():
                if k.lower() == path.lower():
                    spec = v
        if spec is not None:
            return self.serve(spec, (st.step, path))
        # defaults for what a scenario leaves out
        low = path.lower()
        if low.endswith("/backupshorttermretentionpolicies/default"):
            return self.serve({"fixture": "sql-backup-retention/GetShortTermRetentionPolicy.json"},
                              None)
        if low.endswith("/backupshorttermretentionpolicies"):  # a dropped database's: none listed
            return self.serve({"body": {"value": []}}, None)
        if low.endswith("/longtermretentionmanagedinstancebackups"):
            return self.serve({"body": {"value": []}}, None)  # no LTR backups
        if low.endswith("/backuplongtermretentionpolicies"):
            # SYNTHETIC: the example's policy with nothing kept (no LTR set)
            body = copy.deepcopy(st.fx.body("sql-managed-instances/backup-retention/"
                                            "ManagedInstanceLongTermRetentionPolicyListByDatabase.json"))
            body["value"][0]["id"] = path + "/default"
            body["value"][0]["properties"].update(weeklyRetention="PT0S", monthlyRetention="PT0S",
                                                  yearlyRetention="PT0S", weekOfYear=0)
            return self.serve({"body": body}, None)
        if low.endswith("/providers/microsoft.insights/metrics"):
            names = q.get("metricnames", [""])[0]
            undefined = routes.get("_undefined_metric", {}).get(low)
            if undefined and undefined in names.split(","):
                # SYNTHETIC: the 400 text users report for a name the database lacks
                return self.serve({"status": 400, "body": {
                    "code": "BadRequest",
                    "message": "Failed to find metric configuration for provider: Microsoft.Sql, "
                               f"resource Type: servers/databases, metric: {undefined}, Valid "
                               "metrics: cpu_percent,allocated_data_storage"}}, None)
            body = metric_answer(st.fx, names, q.get("timespan", [""])[0], st.step,
                                 q.get("metricnamespace", [""])[0].lower())
            self.record(200)
            return self.send_json(200, body)
        if low.endswith(MIS.lower()) or low.endswith("/distributedavailabilitygroups") or \
                low.endswith("/manageddatabasemoveoperationresults"):
            return self.serve({"body": {"value": []}}, None)  # no managed instances, no links
        if low.endswith("/replicationlinks"):  # SYNTHETIC: no links
            return self.serve({"body": {"value": []}}, None)
        if low.endswith("/operations") or low.endswith("/restorabledroppeddatabases") or \
                low.endswith("/eventtypes/management/values") or low.endswith(SQL.lower()) or \
                low.endswith("/databases"):
            return self.serve({"body": {"value": []}}, None)
        if "/databases/" in low:
            return self.serve({"status": 404, "body": arm_error("ResourceNotFound", "not found")},
                              None)
        return self.serve({"status": 404, "body": arm_error("NotFound", "no such route")}, None)

    # -- Resource Graph (7b) ---------------------------------------------------
    def items_of(self, spec):
        """The list items a route would serve (fixture, body or every page)."""
        if "pages" in spec:
            return [i for p in spec["pages"] for i in self.items_of(p)]
        if "fixture" in spec or "body" in spec:
            return list(self.body_of(spec).get("value", []))
        return []

    def graph(self, raw):
        """SYNTHETIC answers in the shape of ResourcesBasicQuery.json: the
        scenario's servers and databases as Resource Graph rows (lower-case
        type, sorted by id), in pages of 2 rows to exercise $skipToken (the
        fleet scenario: $top rows); the
        quota headers count queries per window (15 per 5 s unless POST
        /_fake/graph-quota?n=N&window=S says otherwise)."""
        st = self.server.state
        st.stats["requests"] += 1
        st.stats["graph"] = st.stats.get("graph", 0) + 1
        if not self.authorised():
            st.stats["unauthorized"] += 1
            self.record(401)
            return self.send_json(401, arm_error("ExpiredAuthenticationToken", "expired"))
        if "api-version" not in urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query):
            self.record(400)
            return self.send_json(400, arm_error("MissingApiVersionParameter", "api-version"))
        try:
            req = json.loads(raw or b"{}")
            subs = {x.lower() for x in req["subscriptions"]}
            opts = req.get("options") or {}
            top = int(opts.get("$top", 100))
            skip = int(opts.get("$skipToken") or "0", 16) if opts.get("$skipToken") else 0
            assert "microsoft.sql/servers/databases" in req["query"]
        except (ValueError, KeyError, TypeError, AssertionError):
            self.record(400)
            return self.send_json(400, arm_error("BadRequest", "Please provide a valid query."))
        if 0 <= st.graph_fail_from <= skip and not st.graph_fail_short:  # SYNTHETIC: fails part way
            self.record(503)
            return self.send_json(503, arm_error("ServiceUnavailable", "The service is unavailable."))
        routes = st.steps[min(st.step, len(st.steps) - 1)]
        if "_graph" in routes:
            return self.serve(routes["_graph"], (st.step, "_graph"))
        rows = []
        for path, spec in routes.items():
            low = path.lower()
            if path.startswith("_") or not (low.endswith("/providers/microsoft.sql/servers") or
                                            low.endswith("/databases")):
                continue
            for item in self.items_of(spec):
                if item["id"].split("/")[2].lower() in subs:
                    row = dict(item)
                    row["type"] = row.get("type", "").lower()
                    rows.append(row)
        if "sqlServer" in req["query"]:  # | order by sqlServer asc, id asc (a server's rows together)
            rows.sort(key=lambda r: (r["id"].lower().split("/databases/")[0], r["id"]))
        else:
            rows.sort(key=lambda r: r["id"].lower())
        size = min(top, st.graph_page)
        body = copy.deepcopy(st.fx.body("resourcegraph/ResourcesBasicQuery.json"))
        body["data"] = rows[skip:skip + size]
        body["count"] = len(body["data"])
        body["totalRecords"] = len(rows)
        body["resultTruncated"] = "false"
        body.pop("$skipToken", None)
        if skip + size < len(rows):
            body["$skipToken"] = "%08x" % (skip + size)
        if 0 <= st.graph_fail_from <= skip and st.graph_fail_short:  # SYNTHETIC: ends short
            body["data"], body["count"] = [], 0
            body.pop("$skipToken", None)
        with st.lock:
            now = time.time()
            if now - st.quota_window >= st.quota_span:
                st.quota_window, st.quota_used = now, 0
            st.quota_used += 1
            left = max(0, st.quota - st.quota_used)
            resets = max(1, int(st.quota_span - (now - st.quota_window) + 0.999))
        self.record(200, {"skipToken": opts.get("$skipToken"), "subscriptions": len(subs)})
        return self.send_json(200, body, {"x-ms-user-quota-remaining": str(left),
                                          "x-ms-user-quota-resets-after": "00:00:%02d" % resets})

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        if u.path == "/_fake/stats":
            return self.send_json(200, self.server.state.stats)
        if u.path == "/metadata/identity/oauth2/token":
            return self.imds(urllib.parse.parse_qs(u.query))
        delay = self.server.state.args.delay
        if delay and delay[0].lower() in u.path.lower():  # a slow path (bounded)
            time.sleep(min(delay[1], 30.0))
        return self.arm()

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        u = urllib.parse.urlsplit(self.path)
        if u.path == "/_fake/step":
            st = self.server.state
            st.step = int(urllib.parse.parse_qs(u.query)["n"][0])
            return self.send_json(200, {"step": st.step})
        if u.path == "/_fake/graph-quota":
            st, q = self.server.state, urllib.parse.parse_qs(u.query)
            st.quota, st.quota_span = int(q["n"][0]), float(q["window"][0])
            st.quota_window, st.quota_used = 0.0, 0
            return self.send_json(200, {"quota": st.quota})
        if u.path == "/_fake/graph-fail":
            st = self.server.state
            q = urllib.parse.parse_qs(u.query)
            st.graph_fail_from = int(q["from"][0])
            st.graph_fail_short = q.get("short", ["0"])[0] == "1"
            return self.send_json(200, {"from": st.graph_fail_from})
        if u.path.endswith("/oauth2/v2.0/token"):
            return self.token_endpoint(body)
        if u.path.lower() == "/providers/microsoft.resourcegraph/resources":
            return self.graph(body)
        return self.arm()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fixtures", required=True)
    ap.add_argument("--scenario", required=True, choices=sorted(SCENARIOS) + ["fleet"])
    ap.add_argument("--fleet", default="10,100", help="fleet scenario: SERVERS,DBS_PER_SERVER")
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log")
    ap.add_argument("--token-lifetime", type=int, default=3599)
    ap.add_argument("--expire-after", type=int, default=0,
                    help="the first token is refused after this many uses")
    ap.add_argument("--no-auth", action="store_true")
    ap.add_argument("--token-without-access-token", action="store_true",
                    help="the token endpoint answers 200 without access_token")
    ap.add_argument("--graph-page", type=int, default=0,
                    help="Resource Graph rows a page (default 2; the fleet scenario: $top)")
    ap.add_argument("--ttl", type=int, default=600, help="exit after this many seconds")
    ap.add_argument("--delay", default=None,
                    help="TEXT:SECONDS: every GET whose path holds TEXT answers after SECONDS")
    args = ap.parse_args()
    if args.delay:
        text, _, secs = args.delay.rpartition(":")
        args.delay = (text, float(secs))
    fx = Fixtures(args.fixtures)
    # a backlog of 5 (the default) drops the SYNs of 16 parallel connections:
    # each retries after 1 s
    ThreadingHTTPServer.request_queue_size = 128
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    if args.scenario == "fleet":
        steps = fleet(fx, *(int(x) for x in args.fleet.split(",")))
    else:
        steps = SCENARIOS[args.scenario](fx)
    srv.state = State(fx, steps, args)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.replace(tmp, args.port_file)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    ttl = threading.Timer(args.ttl, lambda: os._exit(0))
    ttl.daemon = True
    ttl.start()
    srv.serve_forever()


if __name__ == "__main__":
    main()
