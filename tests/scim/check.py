"""Runs scim2-tester (the Python package index's, pinned by `cargo xtask test`) against a
Vestibule server's `/scim/v2`, with an API key of scope `scim`, trusting only the server's own
certificate. Prints one line per check that is not a success and a summary line
`scim2-tester: N checks, K succeeded, S skipped, F failed`; exits 1 on any failure.

Usage: check.py BASE_URL API_KEY CA_FILE
"""

import ssl
import sys
from collections import Counter

import httpx2
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

FAILED = {Status.ERROR, Status.CRITICAL}


def main() -> int:
    base, key, ca = sys.argv[1:4]
    tls = ssl.create_default_context(cafile=ca)
    http = httpx2.Client(
        base_url=f"{base}/scim/v2",
        headers={"Authorization": f"Bearer {key}"},
        verify=tls,
        timeout=30,
    )
    client = SyncSCIMClient(http)
    results = check_server(client, raise_exceptions=False)
    counts = Counter(r.status for r in results)
    for r in results:
        if r.status not in {Status.SUCCESS, Status.COMPLIANT, Status.ACCEPTABLE}:
            print(f"{r.status.name}: {r.title}: {r.reason}", flush=True)
    failed = sum(counts[s] for s in FAILED)
    succeeded = sum(counts[s] for s in (Status.SUCCESS, Status.COMPLIANT, Status.ACCEPTABLE))
    print(
        f"scim2-tester: {len(results)} checks, {succeeded} succeeded, "
        f"{counts[Status.DEVIATION]} deviations, {counts[Status.SKIPPED]} skipped, {failed} failed",
        flush=True,
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
