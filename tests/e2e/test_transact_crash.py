"""Crash test for DynamoDB transactions: kill -9 the server in the middle of
a burst of TransactWriteItems calls, restart it on the same data, and every
transaction is all-or-nothing — and every one the server acknowledged is
there in full (`baton serve` stores tables in SQLite, WAL mode)."""

import threading
import time
from collections import Counter

from conftest import Server, client

TABLE = "txn-crash"
ITEMS_PER_TXN = 25
WORKERS = 6


def transaction(txn_id: str):
    payload = "p" * 500
    return [
        {"Put": {"TableName": TABLE, "Item": {
            "pk": {"S": f"{txn_id}#{k:02d}"},
            "txn": {"S": txn_id},
            "payload": {"S": payload}}}}
        for k in range(ITEMS_PER_TXN)
    ]


def burst(url: str, round_no: int, acknowledged: list, stop: threading.Event):
    """Workers sending transactions until the server dies (or `stop`)."""

    def worker(w: int):
        ddb = client(url, "dynamodb")
        i = 0
        while not stop.is_set():
            txn_id = f"r{round_no}-w{w}-{i}"
            try:
                ddb.transact_write_items(TransactItems=transaction(txn_id))
            except Exception:  # the server was killed: connection errors
                return
            acknowledged.append(txn_id)
            i += 1

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(WORKERS)]
    for t in threads:
        t.start()
    return threads


def scan_all(ddb) -> list:
    items, start = [], None
    while True:
        kwargs = {"TableName": TABLE}
        if start:
            kwargs["ExclusiveStartKey"] = start
        page = ddb.scan(**kwargs)
        items.extend(page["Items"])
        start = page.get("LastEvaluatedKey")
        if not start:
            return items


def test_transactions_are_all_or_nothing_across_kill_9(tmp_path):
    data = tmp_path / "data"
    server = Server(data).start()
    ddb = client(server.url, "dynamodb")
    ddb.create_table(
        TableName=TABLE,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    acknowledged = []
    for round_no in range(3):
        stop = threading.Event()
        threads = burst(server.url, round_no, acknowledged, stop)
        # Let the burst get going, then kill while transactions are in flight.
        time.sleep(0.4 + 0.2 * round_no)
        server.kill9()
        stop.set()
        for t in threads:
            t.join(timeout=30)
        server = Server(data).start()

    ddb = client(server.url, "dynamodb")
    per_txn = Counter(item["txn"]["S"] for item in scan_all(ddb))
    partial = {t: n for t, n in per_txn.items() if n != ITEMS_PER_TXN}
    assert not partial, f"transactions stored in part: {partial}"
    missing = [t for t in acknowledged if per_txn.get(t) != ITEMS_PER_TXN]
    assert not missing, f"acknowledged transactions lost: {missing[:10]}"
    # The burst really ran: enough transactions to make the kill land mid-write.
    assert len(acknowledged) >= 3 * WORKERS, len(acknowledged)
    server.stop()
